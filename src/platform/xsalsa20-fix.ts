import { createRequire } from 'node:module'

/**
 * Work around a memory bug in xsalsa20 1.2.0, the cipher under @libp2p/pnet
 * (found and measured while reading libp2p 3; see docs/libp2p3-notes.md §4.3).
 *
 * Every XSalsa20 instance keeps its own Uint8Array view of one shared
 * WebAssembly.Memory. When one instance grows the memory, the others' views
 * are detached (length 0), and their next update "grows" the memory by the
 * whole input again — so a private swarm moving 1 MiB blocks grew memory
 * without bound until `WebAssembly.Memory.grow(): Maximum memory size
 * exceeded` killed the process or the connection. The patch re-attaches a
 * detached view to the live buffer before each update. Idempotent; a later
 * xsalsa20 without the internal class is left alone.
 */

interface WasmXor {
  _memory: Uint8Array
  update: (input: Uint8Array, output: Uint8Array) => void
  __veilFixed?: boolean
}

let applied = false

export function fixXsalsa20 (): void {
  if (applied) return
  applied = true
  const require = createRequire(import.meta.url)
  const XSalsa20 = require('xsalsa20') as new (nonce: Uint8Array, key: Uint8Array) => { _xor: WasmXor, finalize: () => void }
  const probe = new XSalsa20(new Uint8Array(24), new Uint8Array(32))
  const proto = Object.getPrototypeOf(probe._xor) as WasmXor | null
  probe.finalize()
  if (proto === null || typeof proto.update !== 'function' || proto.__veilFixed === true) return
  let live: Uint8Array | undefined
  const update = proto.update
  proto.update = function (this: WasmXor, input: Uint8Array, output: Uint8Array) {
    if (this._memory.byteLength === 0 && live !== undefined) this._memory = new Uint8Array(live.buffer)
    update.call(this, input, output)
    live = this._memory
  }
  proto.__veilFixed = true
}
