/** Data and model download and verification (`qnmt download`, `qnmt verify-data`). */
export { defaultManifest, mirrorManifest } from './manifest.js';
export type { ArchiveSource, ItemKind, ManifestItem } from './manifest.js';
export { hashFile } from './hash-file.js';
export type { FileDigest } from './hash-file.js';
export { httpDownload } from './http-download.js';
export type { DownloadProgress, HttpDownloadOptions, HttpDownloadResult } from './http-download.js';
export { download, readDownloadRecord } from './download.js';
export type { DownloadOptions, DownloadRecord, FileOutcome, FileStatus, RecordedFile } from './download.js';
export { verifyData, verifyPassed } from './verify-data.js';
export type { VerifyOptions, VerifyResult, VerifyStatus } from './verify-data.js';
