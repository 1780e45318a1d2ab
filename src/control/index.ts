/**
 * The control API a daemon serves on 127.0.0.1: its wire format (requests,
 * summaries, progress lines, errors) and the client the CLI talks to it
 * with. Light on purpose: the CLI loads it without loading a node.
 */
export { DaemonClient, type CallOptions } from './client.js'
export * from './protocol.js'
export * from './errors.js'
