/** Every subcommand, in the order `qnmt --help` lists them. Each file exports `register(program)`. */
import type { Command } from 'commander';
import { register as Translate } from './translate.js';
import { register as Tokenize } from './tokenize.js';
import { register as Bpe } from './bpe.js';
import { register as Detokenize } from './detokenize.js';
import { register as Bleu } from './bleu.js';
import { register as Calibrate } from './calibrate.js';
import { register as Sweep } from './sweep.js';
import { register as Report } from './report.js';
import { register as Sensitivity } from './sensitivity.js';
import { register as Tune } from './tune.js';
import { register as Download } from './download.js';
import { register as VerifyData } from './verify-data.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [Translate, Tokenize, Bpe, Detokenize, Bleu, Calibrate, Sweep, Sensitivity, Tune, Report, Download, VerifyData];
