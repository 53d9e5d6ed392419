"""Fit the passages into the model's context window, counting with its own tokenizer."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document
from langchain_core.prompt_values import ChatPromptValue, PromptValue

from core.llm import LoadedModel
from graphs.prompts import build_prompt

# role markers and separators a chat template adds around each message
CHAT_TEMPLATE_TOKENS_PER_MESSAGE = 8


@dataclass
class FittedPrompt:
    prompt: PromptValue
    kept: list[Document]
    dropped: list[Document]
    prompt_tokens: int


def count_prompt_tokens(loaded: LoadedModel, prompt: PromptValue) -> int:
    """Tokens the prompt takes in the window, chat-template overhead included."""
    if isinstance(prompt, ChatPromptValue):
        return sum(loaded.count_tokens(str(message.content)) + CHAT_TEMPLATE_TOKENS_PER_MESSAGE
                   for message in prompt.messages)
    return loaded.count_tokens(prompt.to_string())


def fit_passages(loaded: LoadedModel, question: str, docs: list[Document]) -> FittedPrompt:
    """The prompt with as many top-ranked passages as fit beside `max_tokens` of answer.

    Passages go lowest-ranked first; when even the best one alone is too long, it is
    cut (its beginning kept) so the question is still answered from the documents.
    """
    budget = loaded.context_window - loaded.max_tokens
    kept = list(docs)
    while True:
        prompt = build_prompt(loaded.style, loaded.family, question, kept)
        tokens = count_prompt_tokens(loaded, prompt)
        if tokens <= budget or not kept:
            return FittedPrompt(prompt, kept, docs[len(kept):], tokens)
        if len(kept) > 1:
            kept.pop()
            continue
        best = kept[0]
        cut = int(len(best.page_content) * budget / tokens * 0.9)
        if cut < 1:
            kept = []
            continue
        kept = [Document(best.page_content[:cut], id=best.id, metadata=best.metadata)]
