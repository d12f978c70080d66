/**
 * What `qnmt download` fetches and `qnmt verify-data` checks: the WMT16 en→de test files the study reads
 * (spec/results-table.md §2, spec/gnmt-inference.md §2.1) and the pretrained checkpoint.
 *
 * Sources (see shared/data/README.md for provenance):
 * - The tokenized + BPE-segmented test set is what MLPerf's download_dataset.sh derives locally (Moses +
 *   subword-nmt). MLPerf's inference GNMT data zip on Zenodo ships these derived files already; its own
 *   verify_dataset.sh checks them with the same MD5s as the training benchmark, so we fetch the zip and
 *   extract just those two members instead of re-running the pipeline.
 * - The raw reference newstest2014.de (and the raw English side) come from a pinned commit of
 *   Helsinki-NLP/OPUS-MT-testsets; their MD5s are the ones MLPerf publishes.
 * - bpe.32000 (the BPE codes behind the model) comes from a pinned commit of mlcommons/inference.
 * - model_best.pth comes from Zenodo record 2581623. No checksum of it is published anywhere we could
 *   find, so it is checked structurally (legacy torch magic number) and its size/sha256 are recorded at
 *   download time in the download record, against which verify-data later compares.
 */

export type ItemKind = 'data' | 'model';

/** An archive that some items are extracted from (no checksum of the archive itself is published). */
export interface ArchiveSource {
  /** File name the archive is saved under while extracting (in DIR/.downloads/). */
  readonly name: string;
  readonly url: string;
}

export interface ManifestItem {
  /** File name in the download folder (flat layout, the names MLPerf's scripts use). */
  readonly name: string;
  readonly kind: ItemKind;
  /** Direct URL of the file; absent when the file only comes out of `archive`. */
  readonly url?: string;
  /** Archive holding the file, and the member path inside it (matched by full path, else by base name). */
  readonly archive?: ArchiveSource;
  readonly member?: string;
  /** Published MD5 of the file content (MLPerf verify_dataset.sh), when one exists. */
  readonly md5?: string;
  /** Leading bytes the file must start with (a cheap check when no checksum is published). */
  readonly magic?: Uint8Array;
  /** Where the checksum comes from, shown by verify-data. */
  readonly checksumSource: string;
  /** One line on what the file is. */
  readonly description: string;
}

const opusCommit = 'ac0f19c0be3cb4e0d9450fcb2d7a9847c4bdd180';
const mlperfInferenceCommit = 'f6df8eea3238bdc15166ae86eda77d3e96b35a00';

/** MLPerf inference GNMT data zip (mlcommons/inference v0.5 translation/gnmt/tensorflow/download_dataset.sh). */
export const gnmtInferenceZip: ArchiveSource = {
  name: 'gnmt_inference_data.zip',
  url: 'https://zenodo.org/record/3437893/files/gnmt_inference_data.zip',
};

/**
 * Legacy (pre-1.6) torch.save files start with a protocol-2 pickle of the magic number
 * 0x1950a86a20f9469cfc6c (spec/gnmt-model.md §1.1): PROTO 2, LONG1 of 10 bytes, little-endian.
 */
export const legacyTorchMagic = new Uint8Array([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);

const mlperfMd5 = 'MLPerf rnn_translator verify_dataset.sh (md5)';

export const defaultManifest: readonly ManifestItem[] = [
  {
    name: 'newstest2014.tok.bpe.32000.en',
    kind: 'data',
    archive: gnmtInferenceZip,
    member: 'nmt/data/newstest2014.tok.bpe.32000.en',
    md5: 'cb014e2509f86cd81d5a87c240c07464',
    checksumSource: mlperfMd5,
    description: 'model input: newstest2014 English, Moses-tokenized + BPE (3003 lines)',
  },
  {
    name: 'newstest2014.tok.bpe.32000.de',
    kind: 'data',
    archive: gnmtInferenceZip,
    member: 'nmt/data/newstest2014.tok.bpe.32000.de',
    md5: 'd616740f6026dc493e66efdf9ac1cb04',
    checksumSource: mlperfMd5,
    description: 'paired German BPE target, used only for the length filter (3003 lines)',
  },
  {
    name: 'newstest2014.de',
    kind: 'data',
    url: `https://raw.githubusercontent.com/Helsinki-NLP/OPUS-MT-testsets/${opusCommit}/testsets/de-en/newstest2014.de`,
    md5: 'f6c3818b477e4a25cad68b61cc883c17',
    checksumSource: mlperfMd5,
    description: 'BLEU reference: newstest2014 German, raw text (3003 lines)',
  },
  {
    name: 'newstest2014.en',
    kind: 'data',
    url: `https://raw.githubusercontent.com/Helsinki-NLP/OPUS-MT-testsets/${opusCommit}/testsets/de-en/newstest2014.en`,
    md5: 'dabf51a9c02b2235632f3cee75c72d49',
    checksumSource: 'MLPerf retired transformer verify_dataset.sh (md5)',
    description: 'newstest2014 English, raw text, for running qnmt tokenize/bpe yourself (3003 lines)',
  },
  {
    name: 'bpe.32000',
    kind: 'data',
    url: `https://raw.githubusercontent.com/mlcommons/inference/${mlperfInferenceCommit}/v0.5/translation/gnmt/tensorflow/helper_scripts/bpe.32000`,
    md5: 'aca1242355eadc437dac422ba76ef3e0',
    checksumSource: 'shared/data/README.md (reproduces MLPerf BPE test files byte for byte)',
    description: 'BPE merge codes (32000 merges) behind the pretrained model',
  },
  {
    name: 'model_best.pth',
    kind: 'model',
    url: 'https://zenodo.org/record/2581623/files/model_best.pth',
    magic: legacyTorchMagic,
    checksumSource: 'none published; size and sha256 recorded at download',
    description: 'pretrained MLPerf GNMT checkpoint (Distiller example), legacy torch format',
  },
];

/**
 * Other files MLPerf's verify_dataset.sh knows. verify-data checks them when they are present in the
 * folder (as MLPerf does), but download does not fetch them (the training corpus is not reachable).
 */
export const extraKnownFiles: readonly ManifestItem[] = [
  ['newstest_dev.tok.clean.bpe.32000.en', '704c4ba8c8b63df1f6678d32b91438b5'],
  ['newstest_dev.tok.clean.bpe.32000.de', 'd27f5a64c839e20c5caa8b9d60075dde'],
  ['train.tok.clean.bpe.32000.en', 'b7482095b787264a310d4933d197a134'],
  ['train.tok.clean.bpe.32000.de', '409064aedaef5b7c458ff19a7beda462'],
].map(([name, md5]) => ({
  name: name!,
  kind: 'data' as const,
  md5: md5!,
  checksumSource: mlperfMd5,
  description: 'MLPerf dev/train file (checked when present, not downloaded)',
}));

/** Base URL override for every item: files are then fetched flat as `${base}/${name}` (no archives). */
export function mirrorManifest(items: readonly ManifestItem[], base: string): ManifestItem[] {
  const root = base.replace(/\/+$/, '');
  return items.map((item) => {
    const { archive: _a, member: _m, ...rest } = item;
    return { ...rest, url: `${root}/${encodeURIComponent(item.name)}` };
  });
}

export function selectKind(items: readonly ManifestItem[], only: ItemKind | undefined): ManifestItem[] {
  return items.filter((i) => only === undefined || i.kind === only);
}
