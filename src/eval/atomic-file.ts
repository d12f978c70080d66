/**
 * Atomic file writes for results folders: the safe-write policy (temp file in the same folder, fsync,
 * rename over a regular file or a new name; never through a link). A reader (or a resumed run after
 * SIGKILL) sees either the old file or the complete new one. The folder must exist (ensureOutputDir).
 */
export { isTempName, tempNameFor, TEMP_SUFFIX, writeOutputFile as writeFileAtomic } from '../io/safe-write.js';
