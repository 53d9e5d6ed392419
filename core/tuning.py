"""How docent retrieves and answers: constants chosen by measurement, not user settings.

Each value says what chose it. Figures come from `bench/retrieval.py` on the tuning halves
(SQuAD's and KorQuAD's even articles, every other article), see docs/benchmarks.md.
A run may still override the retrieval ones through the graph's `Context` (Studio's form,
benchmarks); `graphs.options.resolve` is the one place those overrides apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import Fusion, KoreanTokens, SearchType


@dataclass(frozen=True)
class ModelScale:
    """What follows the embedding model: the weight of its dense ranking for Korean
    questions, and where its cosine relevance separates on-topic passages from the rest."""

    korean_dense_weight: float
    min_relevance: float
    min_dense_alone: float


# MiniLM cannot read Korean (its tokenizer splits Hangul into jamo): a dense weight for
# Korean questions hurt, MRR@10 0.96 -> 0.49 on KorQuAD even, and it scores off-topic
# passages up to ~0.5. e5 reads Korean (0.2: the best weight on KorQuAD's tuning
# articles, MRR@10 0.951/0.954/0.952/0.952 at 0.1/0.2/0.35/0.5) and scores everything
# high: off-topic 0.6-0.76, on-topic ~0.9.
DEFAULT_SCALE = ModelScale(korean_dense_weight=0.0, min_relevance=0.25, min_dense_alone=0.6)
MODEL_SCALES = {"packaged:multilingual-e5-small": ModelScale(0.2, 0.8, 0.85)}


def model_scale(embedding_model: str) -> ModelScale:
    return MODEL_SCALES.get(embedding_model, DEFAULT_SCALE)


@dataclass(frozen=True)
class Tuning:
    """The retrieval, relevance and generation constants (defaults = the measured best)."""

    # candidates fetched from each retriever before fusion and selection
    fetch_k: int = 20
    # "similarity": chunks ranked by their best sentence's vector (core/index/sentences.py)
    search_type: SearchType = "similarity"
    # convex fusion beat RRF on SQuAD: recall@5 0.960 / MRR@10 0.862 against 0.947 / 0.818
    fusion: Fusion = "convex"
    # dense 0.7 against BM25 1.0 was the best convex weighting on SQuAD's tuning half
    dense_weight: float = 0.7
    keyword_weight: float = 1.0
    # the usual RRF constant (Cormack et al.); only used with fusion="rrf"
    rrf_k: int = 60
    # Hangul BM25 tokens: bigrams plus kiwipiepy morphemes were the best on KorQuAD
    # (character bigrams alone: MRR@10 0.927 on full KorQuAD dev, ../shared/README.md)
    keyword_korean: KoreanTokens = "bigram+morpheme"
    # without a reranker, a passage counts as evidence with this share of the question's
    # IDF weight: what refuses off-topic Korean questions, whose dense scores say nothing
    min_keyword_coverage: float = 0.2
    # MMR de-duplication of the kept passages, relevance (1) against novelty (0)
    mmr_lambda: float = 0.9
    # a cross-encoder (DOCENT_RERANK_MODEL) reads this many fused candidates and keeps
    # those scoring at least rerank_min_score (0..1)
    rerank_top_n: int = 20
    rerank_min_score: float = 0.5
    # passages a capable model (not a packaged small one) reads, those holding the evidence
    # first: Qwen2.5-Coder 1.5B on 60 held-out SQuAD questions (issue 25) held gold 0.75 /
    # F1 0.70 with the top 2 (≈ 400 prompt tokens) against 0.72 / 0.66 with the evidence
    # sentences, where the top 2 passages hold the gold 0.97 of the time. All 4 passages
    # that selection keeps would raise the share of handed texts holding a gold answer (of
    # answerable questions, no model) from 0.910 to 0.947 on the SQuAD tuning half (seed 1,
    # 300 questions; 3: 0.927) and leave seed 5's 60 at 0.917, for twice the prompt (p50
    # ~1,400 -> 2,800 characters); what the 4 miss, no selected passage holds. End to end on
    # seed 5's first 26 questions (load 4-5) Qwen with 4 gave contains 0.77 -> 0.73, F1
    # 0.81 -> 0.77, p50 11.1 -> 22.1 s (docs/benchmarks.md, issue 25): 2 stays.
    context_passages: int = 2
    # generation: answers are short; 256 tokens never cut one in the answer evaluations
    max_tokens: int = 256
    temperature: float = 0.0
    # llama.cpp prompt batch: its default; a whole 4-passage prompt fits in two batches
    llm_batch: int = 512
    # texts per embedding batch (MiniLM on 2 cores: larger batches of chunks were no faster);
    # ingest batches short pieces up to this many full-length texts' tokens (core/embeddings)
    embedding_batch: int = 64
    # ingest encodes in bfloat16 where the CPU computes in it natively: MiniLM on 1,500
    # sentence pieces took 2.1-2.3 s against 5.0-5.2 s in float32 (AMX, 2 cores, idle), and
    # the vectors kept a cosine of 0.99995 or more to the float32 ones (mean 0.99998);
    # bench/retrieval.py before/after in docs/benchmarks.md (Ingestion)
    ingest_bfloat16: bool = True
    # HNSW construction effort of the sentence collection (Chroma's default is 100): 35k
    # sentence vectors are most of what Chroma writes, and 40 inserted 10k clustered
    # vectors in 1.6-1.7 s against 2.8-3.0 s with recall@20 still 1.000 (load 2.3);
    # bench/retrieval.py before/after in docs/benchmarks.md (Ingestion)
    sentence_construction_ef: int = 40
    # `ingest --watch`: a batch starts once no file event came for this long. Measured
    # with watchdog at load 8: an atomic save (temp file, chmod, rename over) and vim's
    # save (4913, backup~, write) each span 0.1 ms of events, `cp -r` of 176 pages 1 ms.
    # 1 s is a wide margin for writers that pause (downloads, network copies) and keeps
    # a multi-file save in one batch, while leaving most of the 5 s target to the batch
    # itself (bench/watch.py, docs/ingestion.md)
    watch_debounce_s: float = 1.0
    # ... and at the latest this long after its first event, so a file written without a
    # pause (a log, a long copy) is still indexed, then updated when it settles
    watch_max_delay_s: float = 10.0
    # `ingest --watch --poll` (and where inotify is unavailable): seconds between scans;
    # a scan stats every file, 170 ms for 5,000 files at load 8
    watch_poll_s: float = 1.0


TUNING = Tuning()

# The longest question accepted, in characters. A question is one sentence or a few
# (the longest of SQuAD's and KorQuAD's dev questions are under 300 characters). 2000
# characters are at most ~670 tokens at the doctor's pessimistic 3 characters per token,
# which leaves the default 4096-token window room for the evidence and the answer; a
# pasted ~20 KB text overflowed the window ("Requested tokens exceed context window")
# after a minute of embedding, and the embedding models read only their first 256-512
# tokens of it anyway.
MAX_QUESTION_CHARS = 2000

# What one file may cost to read (`FileBudget`, ingest/loaders/common.py), besides its size
# (DOCENT_MAX_FILE_MB) and its time (DOCENT_MAX_FILE_SECONDS). Characters of text: the
# largest file of ../shared/docs, debian-reference.en.pdf, has 571,048 (261 pages); 5
# million is ~9 times that, ~2,500 pages of prose. A 3.4 MB .docx of 90 MB of text took
# 1.4 GB and minutes before it was counted (issue #24).
MAX_FILE_CHARACTERS = 5_000_000
# Spreadsheet cells read, the empty ones openpyxl pads a row with included. Cells with
# values parse at 20-60 thousand a second (30,000 rows × 6: 3.1-9.4 s at load 6-10), so a
# sheet of 2 million meets the time limit about as soon; padding costs ~0.1 µs a cell, and
# a row reaching column XFD is 16,384 of them: 2 million stops such a sheet at row 123.
MAX_FILE_CELLS = 2_000_000
# Pages, slides, sheets or chapters: a PDF of empty pages costs parsing, not text. A
# 10,000-slide deck loads (tests/test_hostile.py).
MAX_FILE_PAGES = 10_000

# Evidence sentences are scored against the question by multilingual-e5-small, whatever
# the store's model (core/resources.py, graphs/evidence.py): trained for question →
# passage retrieval, it picked a first sentence holding the gold answer more often than
# MiniLM. bench/evidence.py, SQuAD tuning half, 300 questions a seed, seeds 1/2/3/4: first
# sentence 0.730/0.787/0.787/0.740 against MiniLM's 0.733/0.753/0.760/0.720 (+37 −14
# questions, paired), at a cost of ~+85 ms a question (6 sentences: 226 vs 142 ms median,
# load 1-2). End to end (60 questions) the gain was not resolved: docs/benchmarks.md.
EVIDENCE_MODEL = "packaged:multilingual-e5-small"
# ... and the first evidence sentence's e5 cosine with the question must reach this, or
# nothing in the documents answers it (besides MIN_EVIDENCE_COVERAGE, graphs/evidence.py).
# bench/evidence.py, SQuAD tuning half, 300 answerable + 100 unanswerable questions a seed,
# share refused at seeds 1/2/3, answerable then unanswerable:
#   no floor 0.023/0.020/0.020, 0.65/0.44/0.47;  0.80 0.023/0.020/0.023, 0.88/0.56/0.61;
#   0.81 0.027/0.020/0.027, 0.91/0.70/0.64;      0.82 0.033/0.033/0.033, 0.94/0.75/0.75;
#   0.83 0.063/0.043/0.040, 0.95/0.84/0.87.
# 0.81 gains about 23 points of unanswerable questions for 0.4 of answerable ones; on the
# English oracle gate's 100 + 30 (tests/test_answer_gates.py) 4 -> 8 % and 77 -> 83 %.
# Korean questions, whose evidence is ranked by its words alone, have the first sentence
# embedded for the same floor: KorQuAD tuning half, 300 + 100 a seed, seeds 1/2, no floor
# 0.030/0.047, 0.95/0.99; 0.80 0.033/0.050, 0.96/1.00; 0.81 0.040/0.050, 0.98/1.00;
# 0.82 0.043/0.060, 0.99/1.00; 0.84 0.090/0.070, 0.99/1.00. One floor serves both.
EVIDENCE_MIN_COSINE = 0.81
# ... and an English first sentence holding less than EVIDENCE_PARTIAL_COVERAGE of the
# question's IDF weight needs EVIDENCE_PARTIAL_MARGIN more (0.825). The English questions
# that still passed 0.81 (issue 25) were SQuAD questions written beside their paragraph
# ("Who served his dinner?", "Who sets the work agenda?") whose common words cover 0.3-0.6
# of the question in an unrelated sentence at cosines 0.816-0.864. 0.825 for every English
# question also refused 2 of the 48 English qualifier cases (tests/qualifier_cases.py: "How
# many grams of coffee does the French press use?" at 0.812, coverage 0.51); a missing name,
# the answer kind or the IDF sum covered refused at least as many answerable questions as
# unanswerable. bench/evidence.py's records, SQuAD tuning half, answerable refused at seed 1
# (300), unanswerable at seeds 1/2 (100 each) and 5 (the frontier runs' 20):
#   0.81 alone                       0.027, 0.91/0.69/0.90
#   0.825 for all English questions  0.037, 0.95/0.79/1.00
#   0.825 under coverage 0.5         0.027, 0.94/0.78/1.00  (0.83 under 0.5: 0.033, 0.94/0.83)
# Korean questions keep 0.81: their coverage floor already refuses most (KorQuAD above).
EVIDENCE_PARTIAL_COVERAGE = 0.5
EVIDENCE_PARTIAL_MARGIN = 0.015
