"""Fit the evidence into the model's context window, counting with its own tokenizer."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.prompt_values import ChatPromptValue, PromptValue
from langchain_core.prompts import BasePromptTemplate

from core.llm import LoadedModel
from graphs.prompts import build_prompt

# role markers and separators a chat template adds around each message
CHAT_TEMPLATE_TOKENS_PER_MESSAGE = 8


@dataclass
class FittedPrompt:
    prompt: PromptValue
    kept: list[str]
    dropped: list[str]
    prompt_tokens: int


def count_prompt_tokens(loaded: LoadedModel, prompt: PromptValue) -> int:
    """Tokens the prompt takes in the window, chat-template overhead included."""
    if isinstance(prompt, ChatPromptValue):
        return sum(loaded.count_tokens(str(message.content)) + CHAT_TEMPLATE_TOKENS_PER_MESSAGE
                   for message in prompt.messages)
    return loaded.count_tokens(prompt.to_string())


def fit_evidence(loaded: LoadedModel, question: str, texts: list[str],
                 template: BasePromptTemplate | None = None) -> FittedPrompt:
    """The prompt (the model's own, or `template`) with as many of the evidence texts as fit
    beside `max_tokens` of answer.

    Texts go lowest-ranked first; when even the best one alone is too long, it is cut (its
    beginning kept) so the question is still answered from the documents.
    """
    budget = loaded.context_window - loaded.max_tokens
    kept = list(texts)
    while True:
        prompt = build_prompt(loaded.style, loaded.family, question, kept, template)
        tokens = count_prompt_tokens(loaded, prompt)
        if tokens <= budget or not kept:
            return FittedPrompt(prompt, kept, texts[len(kept):], tokens)
        if len(kept) > 1:
            kept.pop()
            continue
        cut = int(len(kept[0]) * budget / tokens * 0.9)
        kept = [kept[0][:cut]] if cut >= 1 else []
