import '../src/platform/shim.js'
