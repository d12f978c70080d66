/** Settings of the committed oracle hypotheses (make-oracle-fixture.ts writes them, oracle-fixture.test.ts reads them). */
export const ORACLE_FIXTURE = {
  input: 'data/test2016.tok.bpe.en',
  lines: 100,
  beam: 5,
  batch: 128,
  configs: ['int8-sym', 'int8-asym', 'int8-asym-pc-avg', 'int8-asym-pc-avg-noattn', 'int8-asym-pc-avg-noattn-nocls'],
} as const;
