/**
 * Fixes for the platform Veil runs on. Importing this folder installs the
 * Node 20 `Promise.withResolvers` shim (entry points import it first);
 * `fixXsalsa20` patches the cipher under libp2p's pnet when a swarm needs it.
 */
import './shim.js'

export { fixXsalsa20 } from './xsalsa20-fix.js'
