"""Ask the model for a structured answer, check it, re-ask once with the problems.

Shared by every stage that calls the model (extract, reconcile). The schema
is checked by pydantic; ``check`` adds what only the stage knows (sentence
references exist, every claim id is placed once...). A failing answer is
re-asked on a copy of the messages, with the answer and its problems listed;
what still fails raises AnswerRejected with the problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

from pydantic import BaseModel

from .llm import AttemptLog, InvalidAnswer, LLMClient, Truncated, schema_prompt
from .prompting import PromptSet

T = TypeVar("T", bound=BaseModel)


def system_message(client: LLMClient, prompts: PromptSet, name: str, schema: type[BaseModel]) -> str:
    """A stage's system prompt; for servers without structured outputs
    (json_object mode) the schema goes in the prompt instead."""
    system = prompts.render(name)
    if client.settings.response_mode == "json_object":
        system += "\n\nAnswer with one JSON object that validates against this JSON schema:\n" + schema_prompt(schema)
    return system


class AnswerRejected(ValueError):
    def __init__(self, problems: list[str], model: str) -> None:
        super().__init__("; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))
        self.problems = problems
        self.model = model


@dataclass
class Answer(Generic[T]):
    parsed: T
    model: str
    reasks: int


def ask(
    client: LLMClient,
    prompts: PromptSet,
    messages: list[dict[str, str]],
    schema: type[T],
    *,
    check: Callable[[T], list[str]],
    max_tokens: int,
    log: AttemptLog,
    max_reasks: int = 1,
    max_budget: int | None = None,
    strict: bool = True,
) -> Answer[T]:
    """Raises AnswerRejected, Truncated (past ``max_budget``) or ModelCallError.

    With ``strict=False`` an answer whose ``check`` problems survive the
    re-asks is returned anyway: the stage then rejects the failing parts
    one by one (a claim without evidence) instead of the whole answer.
    """
    reasks = 0
    model = ""
    budget = max_tokens
    while True:
        try:
            completion = client.complete(messages, schema, max_tokens=budget, log=log)
        except Truncated:
            if max_budget is None or budget >= max_budget:
                raise
            budget = min(max_budget, budget * 2)
            continue
        except InvalidAnswer as exc:
            model = exc.model or model
            if reasks >= max_reasks:
                raise AnswerRejected(exc.problems, model) from exc
            reasks += 1
            messages = [*messages, {"role": "user", "content": prompts.render("reask.user.j2", problems=exc.problems)}]
            continue
        model = completion.model or model
        problems = check(completion.parsed)
        if not problems:
            return Answer(completion.parsed, model, reasks)
        if reasks >= max_reasks:
            if strict:
                raise AnswerRejected(problems, model)
            return Answer(completion.parsed, model, reasks)
        reasks += 1
        messages = [
            *messages,
            {"role": "assistant", "content": completion.parsed.model_dump_json()},
            {"role": "user", "content": prompts.render("reask.user.j2", problems=problems)},
        ]
