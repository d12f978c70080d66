export { beamSearch } from './beam-search.js';
export { greedySearch } from './greedy.js';
export { SEARCH_DEFAULTS, BOS, EOS } from './search-options.js';
export type { SearchOptions, SearchResult } from './search-options.js';
