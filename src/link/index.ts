export * from './link.js'
export * from './errors.js'
