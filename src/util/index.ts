/** Small helpers every folder may use: signals and deadlines, an ordered window of tasks, failure reasons. */
export { anySignal, deadline } from './signals.js'
export { orderedWindow } from './ordered-window.js'
export { failureReason } from './failure.js'
export { keepAlive } from './keep-alive.js'
export { PeriodicTask } from './periodic-task.js'
