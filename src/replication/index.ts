export { copyShare, type CopyShareOptions, type CopyShareResult } from './copy-share.js'
