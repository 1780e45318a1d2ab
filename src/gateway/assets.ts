import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { GatewayAssetsError } from './errors.js'

/** One static file of the page, with its validator. */
export interface Asset { body: Uint8Array, type: string, etag: string }

export interface PageAssets { page: Asset, script: Asset, style: Asset }

/**
 * Where `npm run build` put the page (dist/web): beside the compiled gateway
 * (dist/src/gateway → dist/web), or, when running from the TypeScript
 * sources (tests), in the checkout's dist/web.
 */
export function defaultAssetsDir (): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  for (const candidate of [join(here, '..', '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'veil.js'))) return candidate
  }
  return join(here, '..', '..', 'web')
}

async function load (dir: string, name: string, type: string): Promise<Asset> {
  let body: Uint8Array
  try {
    body = new Uint8Array(await readFile(join(dir, name)))
  } catch (err) {
    throw new GatewayAssetsError(`the gateway page is not built (${join(dir, name)} is missing): run \`npm run build\``, { cause: err })
  }
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }
}

export async function loadAssets (dir = defaultAssetsDir()): Promise<PageAssets> {
  const [page, script, style] = await Promise.all([
    load(dir, 'page.html', 'text/html; charset=utf-8'),
    load(dir, 'veil.js', 'text/javascript; charset=utf-8'),
    load(dir, 'veil.css', 'text/css; charset=utf-8')
  ])
  return { page, script, style }
}
