export { importFile, importBytes, guessMediaType, FOLDER_MEDIA_TYPE, type ImportBytesOptions } from './file.js'
export { importFolder, MAX_FOLDER_DEPTH, type FolderResult } from './folder.js'
export { writeShare, type ShareResult } from './share-writer.js'
export { resolveImportOptions, type BlockSink, type ImportOptions, type ImportProgressEvents } from './options.js'
