// Run one testnet scenario (npm run testnet -- <scenario> …) and fail unless its
// report says it worked; prints the report, and "1 passed, 0 failed" style totals.
import { execFileSync } from 'node:child_process'

const args = process.argv.slice(2)
const out = execFileSync('node', ['dist/scripts/testnet/run.js', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 })
const report = JSON.parse(out.trim().split('\n').at(-1))
process.stdout.write(`${JSON.stringify(report)}\n`)
if (report.skipped !== undefined) process.exit(0)
const checks = {
  nat: r => r.sha256Match && r.natStorageHeldIt && r.circuitAddress !== undefined,
  churn: r => r.ok,
  wan: r => r.sha256Match,
  partition: r => r.sha256Match && r.acrossAfterHeal.every(s => s.ok)
}
const ok = checks[report.scenario]?.(report) === true
process.stdout.write(`testnet ${report.scenario}: ${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed\n`)
process.exit(ok ? 0 : 1)
