export { Fetcher, fetcher, type FetcherInit, type FetcherComponents, type FetchNetwork, type FetchStats } from './fetcher.js'
export * from './constants.js'
