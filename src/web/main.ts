/*
 * The gateway page's one bundle. In a window it is the page; registered as
 * a service worker (scope /_veil/dl/) it streams downloads to disk.
 */
import { startPage } from './page.js'
import { startServiceWorker } from './sw.js'

if (typeof document === 'undefined' && 'registration' in globalThis) {
  startServiceWorker(globalThis as unknown as Parameters<typeof startServiceWorker>[0])
} else {
  startPage()
}
