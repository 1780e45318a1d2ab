/**
 * A small client for the daemon's control API (see server.ts). Errors the
 * daemon reports come back as DaemonError with the daemon's own name, code
 * and message, so the CLI prints them exactly as it would locally.
 */
import { request, type IncomingMessage } from 'node:http'
import type { Writable } from 'node:stream'
import { DaemonAuthError, DaemonError, DaemonUnreachableError } from './errors.js'
import {
  API_PREFIX, RESULT_TRAILER, decodeTrailer, type GetRequest, type GetSummary, type ListRequest, type ListSummary, type PeerSummary, type PinSummary,
  type GcSummary, type PinsSummary, type PublishRequest, type PublishSummary, type RenewSummary, type ShareRequest, type ShareSummary, type StatusSummary, type StreamLine, type WireError, type WireProgress
} from './protocol.js'

export interface CallOptions {
  signal?: AbortSignal
  onProgress?: (event: WireProgress) => void
}

export class DaemonClient {
  constructor (readonly url: string, private readonly token: string) {}

  async status (options: CallOptions = {}): Promise<StatusSummary> {
    return await this.call('GET', '/status', undefined, options)
  }

  async peers (options: CallOptions = {}): Promise<PeerSummary> {
    return await this.call('GET', '/peers', undefined, options)
  }

  async list (body: ListRequest, options: CallOptions = {}): Promise<ListSummary> {
    return await this.call('POST', '/ls', body, options)
  }

  /** Pin every share a link reaches; progress as blocks are copied. */
  async pin (link: string, options: CallOptions = {}): Promise<PinSummary> {
    return await this.lines('/pin', { link }, options)
  }

  async pins (options: CallOptions = {}): Promise<PinsSummary> {
    return await this.call('GET', '/pins', undefined, options)
  }

  async gc (options: CallOptions = {}): Promise<GcSummary> {
    return await this.call('POST', '/gc', {}, options)
  }

  async unpin (link: string, options: CallOptions = {}): Promise<PinSummary> {
    return await this.call('POST', '/unpin', { link }, options)
  }

  /** Renew a share's leases, or (no link) every share of the daemon's repo. */
  async renew (link: string | undefined, options: CallOptions = {}): Promise<RenewSummary> {
    return await this.call('POST', '/renew', link === undefined ? {} : { link }, options)
  }

  async share (body: ShareRequest, options: CallOptions = {}): Promise<ShareSummary> {
    return await this.lines('/share', body, options)
  }

  /** Share a path and point the repo's mutable link `name` at it. */
  async publish (body: PublishRequest, options: CallOptions = {}): Promise<PublishSummary> {
    return await this.lines('/publish', body, options)
  }

  /** Fetch to a path on this machine (`output` absolute, or absent for `<cwd>/<name>`). */
  async get (body: GetRequest, options: CallOptions = {}): Promise<GetSummary> {
    if (body.output === '-') throw new DaemonError('InvalidOptionError', 'ERR_INVALID_OPTION', 'use getToStream to stream a share')
    return await this.lines('/get', body, options)
  }

  /** Fetch a file share and write its bytes to `out` as they arrive. */
  async getToStream (body: Omit<GetRequest, 'output' | 'cwd'>, out: Writable, options: CallOptions = {}): Promise<GetSummary> {
    const res = await this.send('POST', '/get', { ...body, output: '-' }, options.signal)
    if (res.statusCode !== 200) return unwrap(await readJson(res))
    let outError: Error | undefined
    const onError = (err: Error): void => { outError = err; res.destroy() }
    out.on('error', onError)
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (outError !== undefined) break
        if (!out.write(chunk)) await drained(out)
      }
    } catch (err) {
      throw outError ?? brokenOff(this.url, err, options.signal)
    } finally {
      out.off('error', onError)
    }
    if (outError !== undefined) throw outError
    const trailer = res.trailers[RESULT_TRAILER]
    if (trailer === undefined) throw brokenOff(this.url, undefined, options.signal)
    return unwrap(decodeTrailer(trailer) as StreamLine<GetSummary>)
  }

  private async call<T> (method: string, path: string, body: unknown, options: CallOptions): Promise<T> {
    const res = await this.send(method, path, body, options.signal)
    return unwrap(await readJson(res).catch((err: unknown) => { throw brokenOff(this.url, err, options.signal) }))
  }

  /** An NDJSON answer: progress lines, then a result or an error. */
  private async lines<T> (path: string, body: unknown, options: CallOptions): Promise<T> {
    const res = await this.send('POST', path, body, options.signal)
    if (res.statusCode !== 200) return unwrap(await readJson(res))
    res.setEncoding('utf8')
    let pending = ''
    try {
      for await (const chunk of res as AsyncIterable<string>) {
        pending += chunk
        let newline
        while ((newline = pending.indexOf('\n')) !== -1) {
          const text = pending.slice(0, newline)
          pending = pending.slice(newline + 1)
          if (text.length === 0) continue
          const line = JSON.parse(text) as StreamLine<T>
          if ('progress' in line) options.onProgress?.(line.progress)
          else return unwrap(line)
        }
      }
    } catch (err) {
      if (err instanceof DaemonError) throw err
      throw brokenOff(this.url, err, options.signal)
    } finally {
      res.destroy()
    }
    throw brokenOff(this.url, undefined, options.signal)
  }

  private async send (method: string, path: string, body: unknown, signal?: AbortSignal): Promise<IncomingMessage> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(new URL(API_PREFIX + path, this.url), {
        method,
        agent: false,
        signal,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': data.length } : {})
        }
      })
      req.once('response', (res) => {
        if (res.statusCode === 401) {
          res.resume()
          reject(new DaemonAuthError())
          return
        }
        resolve(res)
      })
      req.once('error', (err) => {
        reject(signal?.aborted === true
          ? signal.reason
          : new DaemonUnreachableError(`cannot reach the node's control API at ${this.url} (${err.message}): is \`veil node start\` still running?`, { cause: err }))
      })
      req.end(data)
    })
  }
}

async function readJson (res: IncomingMessage): Promise<StreamLine<never> | { result: unknown }> {
  res.setEncoding('utf8')
  let text = ''
  for await (const chunk of res as AsyncIterable<string>) text += chunk
  try {
    return JSON.parse(text) as StreamLine<never>
  } catch {
    throw new DaemonUnreachableError(`the control API answered HTTP ${res.statusCode ?? '?'} with something that is not JSON: is another program using its port?`)
  }
}

function unwrap<T> (line: StreamLine<T> | { result: unknown }): T {
  if ('error' in line) throw remoteError(line.error)
  if ('result' in line) return line.result as T
  throw new DaemonUnreachableError('the control API answered without a result')
}

function remoteError (wire: WireError): DaemonError {
  return new DaemonError(String(wire.name), String(wire.code), String(wire.message))
}

function brokenOff (url: string, cause: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted === true) return signal.reason instanceof Error ? signal.reason : new DaemonUnreachableError('aborted')
  return new DaemonUnreachableError(`the node at ${url} stopped answering before the operation finished: check that \`veil node start\` is still running, then run the command again`, { cause })
}

/** Wait until `out` takes more data (or fails), leaving no listener behind. */
async function drained (out: Writable): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      out.off('drain', onDrain)
      out.off('error', done)
      out.off('close', onClose)
      if (err !== undefined) reject(err)
      else resolve()
    }
    const onDrain = (): void => { done() }
    const onClose = (): void => { done(Object.assign(new Error('the output was closed'), { code: 'EPIPE' })) }
    out.on('drain', onDrain)
    out.on('error', done)
    out.on('close', onClose)
  })
}
