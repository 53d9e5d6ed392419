# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
QUESTION ?= How many days of paid annual leave do full-time employees get?

# llama-cpp-python compiles on install; portable x86-64 flags (AVX2, no AVX-512/AMX),
# override for a GPU build, e.g. CMAKE_ARGS="-DGGML_CUDA=on".
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: venv demo test test-fast lint bench clean postgres postgres-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m app models
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/python -m app ingest data
	$(BIN)/python -m app ask "$(QUESTION)"

test: venv
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

lint: venv
	$(BIN)/ruff check app graphs ingest core tests bench
	$(BIN)/mypy
	$(BIN)/mypy --explicit-package-bases bench/*.py
	$(BIN)/lint-imports

bench: venv
	$(BIN)/python bench/ingest.py

# a local PostgreSQL with pgvector and pg_search on 127.0.0.1 (docs/deployment.md); the
# last line printed is DOCENT_DATABASE_URL=…; PG_PORT fixes the port (default: the last one,
# else a free one)
PG_DATA ?= .docent/postgres
PG_PORT ?=
postgres:
	@$(PYTHON) tests/postgres_server.py start --data $(PG_DATA) $(if $(PG_PORT),--port $(PG_PORT))

postgres-stop:
	@$(PYTHON) tests/postgres_server.py stop --data $(PG_DATA)

clean:
	rm -rf $(VENV) .docent
