export { Fetcher, type FetcherInit, type FetchNetwork, type FetchStats } from './fetcher.js'
