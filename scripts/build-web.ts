/**
 * Bundle the gateway page (src/web/main.ts and everything it imports) into
 * dist/web/: one JS bundle (page and download service worker), its CSS and
 * HTML. Run by `npm run build` after tsc, so `npm ci` builds it too.
 *
 * The bundle is built for the browser platform and the build FAILS if any
 * Node module (node:*, or a bare builtin such as "fs") is reachable from the
 * page: the format and crypto code it shares with the CLI must stay portable
 * (import crypto/portable.ts and format/portable.ts, not their index.ts).
 */
import { builtinModules } from 'node:module'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { dirname, join, relative } from 'node:path'
import { build, type Plugin } from 'esbuild'

const NODE_BUILTINS = new Set(builtinModules)

/** Refuse every import of a Node module, naming the file that asked for it. */
export const noNodeModules: Plugin = {
  name: 'veil-no-node-modules',
  setup (builder) {
    builder.onResolve({ filter: /.*/ }, args => {
      const bare = args.path.replace(/^node:/, '').split('/')[0]!
      if (args.path.startsWith('node:') || (NODE_BUILTINS.has(bare) && !args.path.startsWith('.'))) {
        return {
          errors: [{
            text: `the gateway page must not import the Node module "${args.path}" (from ${relative(process.cwd(), args.importer)}): ` +
              'keep the shared code portable and import the portable.ts doors of crypto/ and format/'
          }]
        }
      }
      return undefined
    })
  }
}

export async function buildWeb (root: string, outDir = join(root, 'dist', 'web')): Promise<{ bytes: number }> {
  await mkdir(outDir, { recursive: true })
  const result = await build({
    entryPoints: [join(root, 'src', 'web', 'main.ts')],
    outfile: join(outDir, 'veil.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeModules]
  })
  const inputs = Object.keys(result.metafile.inputs)
  const leaked = inputs.filter(path => path.startsWith('node:') || /(^|\/)node_modules\/(@types\/node|node-gyp)/.test(path))
  if (leaked.length > 0) throw new Error(`the gateway page bundle reached Node code: ${leaked.join(', ')}`)
  await copyFile(join(root, 'src', 'web', 'page.html'), join(outDir, 'page.html'))
  await copyFile(join(root, 'src', 'web', 'page.css'), join(outDir, 'veil.css'))
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0)
  await writeFile(join(outDir, 'inputs.json'), JSON.stringify(inputs.sort(), null, 1) + '\n')
  return { bytes }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
  buildWeb(root).then(({ bytes }) => {
    if (process.env.VEIL_BUILD_QUIET === undefined) process.stderr.write(`gateway page: dist/web/veil.js (${(bytes / 1024).toFixed(0)} KiB)\n`)
  }, (err: Error & { errors?: Array<{ text: string }> }) => {
    process.stderr.write(`gateway page build failed:\n${(err.errors ?? []).map(e => `  ${e.text}`).join('\n') || err.message}\n`)
    process.exitCode = 1
  })
}
