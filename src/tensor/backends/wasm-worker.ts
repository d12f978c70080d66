/** Entry point of the wasm backend's Node worker threads (see wasm-pool.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { serveJobs, type WorkerInit } from './wasm-pool.js';

serveJobs(workerData as WorkerInit, () => parentPort!.postMessage('ready'));
