/**
 * Node 20 lacks `Promise.withResolvers`, which libp2p 3 and several of its
 * packages call (a dial fails inside the Noise handshake without it). This
 * module installs a spec-compatible polyfill and must be imported before
 * anything else by every entry point (CLI, daemon, scripts, vitest setup).
 */

interface WithResolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

const PromiseCtor = Promise as unknown as {
  withResolvers?: <T>() => WithResolvers<T>
}

if (typeof PromiseCtor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T> (this: PromiseConstructor): WithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new this<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  })
}

export {}
