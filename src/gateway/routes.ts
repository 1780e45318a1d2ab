/**
 * Reading a gateway request's path: which route it asks for and the CIDs it
 * names (only those Veil can verify), and what the request log may show of it.
 */
import { CID } from 'multiformats/cid'
import { DAG_CBOR_CODE, isSupportedCid } from '../format/index.js'
import { isNameCid } from '../link/index.js'
import type { PageAssets } from './assets.js'

export type Route =
  | { kind: 'page', cid: CID | undefined }
  | { kind: 'block', cid: CID | undefined, unit: CID | undefined | null }
  | { kind: 'name', cid: CID | undefined }
  | { kind: 'asset', asset: keyof PageAssets, name: string }
  | { kind: 'favicon' }
  | { kind: 'none' }

function parseNameCid (text: string): CID | undefined {
  try {
    const cid = CID.parse(text)
    return isNameCid(cid) ? cid : undefined
  } catch {
    return undefined
  }
}

function parseCid (text: string): CID | undefined {
  try {
    const cid = CID.parse(text)
    return isSupportedCid(cid) ? cid : undefined
  } catch {
    return undefined
  }
}

export function route (url: string): Route {
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  let match = /^\/v\/([^/]+)(?:\/.*)?$/.exec(path)
  if (match !== null) {
    // A share root, or a mutable link's name.
    const cid = parseCid(match[1]!) ?? parseNameCid(match[1]!)
    return { kind: 'page', cid: cid === undefined || (cid.code !== DAG_CBOR_CODE && !isNameCid(cid)) ? undefined : cid }
  }
  match = /^\/name\/([^/]+)$/.exec(path)
  if (match !== null) return { kind: 'name', cid: parseNameCid(match[1]!) }
  match = /^\/block\/([^/]+)$/.exec(path)
  if (match !== null) {
    const within = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get('in')
    const unit = within === null ? null : parseCid(within)
    return { kind: 'block', cid: parseCid(match[1]!), unit: unit !== undefined && unit !== null && unit.code !== DAG_CBOR_CODE ? undefined : unit }
  }
  if (path === '/_veil/veil.js') return { kind: 'asset', asset: 'script', name: 'veil.js' }
  if (path === '/_veil/veil.css') return { kind: 'asset', asset: 'style', name: 'veil.css' }
  if (path === '/favicon.ico') return { kind: 'favicon' }
  return { kind: 'none' }
}

/** What the request log may show of a request: the route and its CID, nothing the client chose beyond that. */
export function logPath (r: Route, url: string): string {
  if (r.kind === 'page') return r.cid === undefined ? '/v/(invalid)' : `/v/${r.cid.toString()}`
  if (r.kind === 'block') return r.cid === undefined ? '/block/(invalid)' : `/block/${r.cid.toString()}`
  if (r.kind === 'name') return r.cid === undefined ? '/name/(invalid)' : `/name/${r.cid.toString()}`
  if (r.kind === 'asset') return `/_veil/${r.name}`
  if (r.kind === 'favicon') return '/favicon.ico'
  return url === '/' ? '/' : '-'
}
