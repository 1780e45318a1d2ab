// Lint rules that keep the code's shape (`npm run lint`; `npm test` runs it).
//
// Doors: a folder's index.ts is its door. A file outside folder X (in src/
// or scripts/) imports from X only through X/index.ts — value, type-only
// and dynamic imports alike — and a file inside X imports its siblings
// directly, never its own index.ts (which would make a cycle). src/errors.ts
// and src/index.ts sit at the root and are no folder's. Tests are allowed to
// reach into a folder's internals: unit tests mirror src/ and test its parts.
// A folder may have a second door, portable.ts: the part of it that runs in a
// browser too (crypto/, format/); browser-safe code imports through it, so
// no Node module is reachable from the gateway page (npm run build checks).
import { readdirSync } from 'node:fs'
import tseslint from 'typescript-eslint'
import { createNodeResolver, importX } from 'eslint-plugin-import-x'

const folders = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter(entry => entry.isDirectory())
  .map(entry => entry.name)

const doors = folders.flatMap(folder => [
  {
    target: [`./src/!(${folder})/**/*.ts`, './src/*.ts', './scripts/**/*.ts'],
    from: `./src/${folder}`,
    except: ['./index.ts', './portable.ts'],
    message: `import ${folder}/ through its door, src/${folder}/index.ts (export what you need from there)`
  },
  {
    target: `./src/${folder}/**/*.ts`,
    from: [`./src/${folder}/index.ts`, `./src/${folder}/portable.ts`],
    message: `inside ${folder}/, import the sibling file itself: its index.ts is the door for other folders`
  }
])

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'vitest.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: './tsconfig.test.json',
        tsconfigRootDir: import.meta.dirname
      }
    },
    plugins: {
      '@typescript-eslint': tseslint.plugin,
      'import-x': importX
    },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Sources import each other as './x.js' (NodeNext): resolve that to x.ts.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })]
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error'
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used',
        argsIgnorePattern: '^_',
        varsIgnorePattern: '^_',
        caughtErrors: 'none',
        ignoreRestSiblings: true
      }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-self-import': 'error'
    }
  },
  {
    // The gateway page has its own program: browser typings, no Node.
    files: ['src/web/**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.web.json', tsconfigRootDir: import.meta.dirname } }
  },
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: doors }]
    }
  }
)
