import { unlockKey, type PasswordLock } from '../link/index.js'
import { el } from './dom.js'

/*
 * A password-protected link in the page: a form asks for the password,
 * Argon2id runs here (WebAssembly; the password never leaves the page) and
 * unwraps the key. A wrong password says so and asks again.
 */

export async function askPassword (app: HTMLElement, lock: PasswordLock, signal: AbortSignal): Promise<Uint8Array> {
  const input = el('input', { type: 'password', name: 'password', autocomplete: 'off', required: true, id: 'password' })
  const button = el('button', { type: 'submit', className: 'unlock' }, 'Open')
  const status = el('p', { className: 'progress-text', role: 'status' })
  const form = el('form', { className: 'unlock-form' },
    el('label', { htmlFor: 'password' }, 'Password'), input, button, status)
  app.dataset.state = 'password'
  app.replaceChildren(
    el('header', {}, el('h1', { className: 'name' }, 'This link is protected by a password'),
      el('p', { className: 'meta' }, 'Type the password the sharer gave you. It is checked here, in your browser: it never reaches the gateway.')),
    form)
  input.focus()
  return await new Promise<Uint8Array>((resolve, reject) => {
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    form.addEventListener('submit', event => {
      event.preventDefault()
      if (button.disabled) return
      button.disabled = true
      status.textContent = 'Checking the password…'
      app.dataset.state = 'unlocking'
      // Let the status paint before Argon2id holds the thread (about a second).
      setTimeout(() => {
        unlockKey(lock, input.value).then(resolve, (err: unknown) => {
          button.disabled = false
          app.dataset.state = 'password'
          if ((err as Error)?.name !== 'WrongPasswordError') { reject(err); return }
          status.replaceChildren(el('span', { className: 'error', role: 'alert' }, 'Wrong password. Try again.'))
          input.select()
        })
      }, 20)
    })
  })
}
