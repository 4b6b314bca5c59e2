"""Synthetic corpora for benchmarks: realistic, varied, deterministic for a seed.

    from synthetic_corpus import make_corpus   # with bench/ on sys.path
    corpus = make_corpus(2000, seed=1)         # ~40k messages

Text mixes general topics, code blocks, pasted logs, complaints, refusals,
tool calls (some failing), thinking blocks, attachments and a few fake
contact details (example.com addresses, 555 phone numbers) so the privacy
pass has something to find. No real person's data.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from convoscope_common.corpus import (
    Attachment,
    Conversation,
    Corpus,
    Message,
    ToolResult,
    ToolUse,
)

TOPICS: dict[str, dict[str, list[str]]] = {
    "coding": {
        "nouns": [
            "python function",
            "javascript promise",
            "rust borrow checker",
            "SQL query",
            "docker container",
            "unit test",
            "git rebase",
            "react component",
            "regex",
            "API endpoint",
            "async loop",
            "class method",
            "bash script",
            "compiler error",
        ],
        "asks": [
            "How do I fix this {n}?",
            "Can you refactor this {n} so it is easier to read?",
            "Why does my {n} throw an exception when the input is empty?",
            "Write a {n} that parses the config file and returns a dict.",
            "What is the best way to debug a {n} that hangs?",
        ],
    },
    "cooking": {
        "nouns": [
            "sourdough bread",
            "tomato sauce",
            "chicken curry",
            "vegan lasagna",
            "pizza dough",
            "garlic roast",
            "lentil soup",
            "banana bread",
            "stir fry",
            "risotto",
        ],
        "asks": [
            "Can you give me a recipe for {n}?",
            "How long should I bake the {n} in the oven?",
            "What ingredients can replace eggs in {n}?",
            "My {n} turned out too salty, what happened?",
            "Plan a dinner menu around {n} for six people.",
        ],
    },
    "travel": {
        "nouns": [
            "trip to Lisbon",
            "flight to Tokyo",
            "road trip through Norway",
            "hotel in Rome",
            "weekend in Prague",
            "visa for Canada",
            "backpacking route in Peru",
        ],
        "asks": [
            "Help me plan an itinerary for a {n}.",
            "What should I pack for a {n}?",
            "Is a {n} expensive in October?",
            "Which neighbourhood is best for a {n}?",
        ],
    },
    "finance": {
        "nouns": [
            "monthly budget",
            "retirement savings",
            "index fund portfolio",
            "mortgage refinance",
            "tax return",
            "credit card debt",
            "emergency fund",
        ],
        "asks": [
            "How should I structure my {n}?",
            "Explain the risks of my {n} plan.",
            "What is a reasonable interest rate for a {n}?",
            "Make a spreadsheet plan for my {n}.",
        ],
    },
    "writing": {
        "nouns": [
            "cover letter",
            "blog post about remote work",
            "short story",
            "wedding speech",
            "product announcement email",
            "essay on climate policy",
            "poem about autumn",
        ],
        "asks": [
            "Can you rewrite this {n} in a friendlier tone?",
            "Proofread my {n} please.",
            "Draft a {n} of about 300 words.",
            "Give me an outline for a {n}.",
        ],
    },
    "health": {
        "nouns": [
            "workout plan",
            "sleep schedule",
            "protein intake",
            "running routine",
            "knee pain",
            "meal prep for a diet",
            "yoga practice",
        ],
        "asks": [
            "Suggest a beginner {n}.",
            "How can I improve my {n}?",
            "Is my {n} healthy for someone my age?",
            "What should I ask my doctor about {n}?",
        ],
    },
    "data": {
        "nouns": [
            "pandas dataframe",
            "sales dataset",
            "regression model",
            "dashboard",
            "CSV export",
            "pivot table",
            "correlation analysis",
        ],
        "asks": [
            "How do I clean this {n}?",
            "Plot the trend in this {n}.",
            "What does the median tell me in this {n}?",
            "Build a {n} from these columns.",
        ],
    },
    "learning": {
        "nouns": [
            "quantum entanglement",
            "the French revolution",
            "photosynthesis",
            "linear algebra",
            "the theory of relativity",
            "supply and demand",
            "Bayes theorem",
        ],
        "asks": [
            "Explain {n} like I am five.",
            "What are the key ideas of {n}?",
            "Give me three exam questions about {n}.",
            "How is {n} taught at university?",
        ],
    },
}
FOLLOW_UPS = [
    "Thanks, that helps! Can you also add error handling?",
    "Great, this works perfectly. Thank you!",
    "Could you make it shorter?",
    "What about edge cases?",
    "Let's try a different approach together.",
    "Ok, and what would you change next?",
    "I am not sure I understand the second step, can you explain it again?",
    "That is wrong, the numbers do not add up.",
    "This function doesn't exist in the library, you made that up.",
    "That's not what I asked for. I need the short version.",
    "I already told you the deadline is Friday, please keep that in mind.",
    "You got cut off, please finish the rest of the code.",
    "You keep repeating yourself.",
    "I need this urgently, it is for a meeting right now!!",
    "Still doesn't work, same error as before.",
    "Awesome, exactly what I needed.",
    "Hmm, I'm frustrated, this is terrible and nothing works.",
    "Why not? It's for a class project.",
    "You can reach me at sam.taylor@example.com or call +1 415 555 0134 if needed.",
]
ASSISTANT_OPENERS = [
    "Sure! Here is a clear way to approach this.",
    "Good question. Let me walk through it step by step.",
    "Here is an updated version with the changes you asked for.",
    "There are a few options, each with trade-offs.",
    "I'm sorry, but I can't help with that request.",
    "Could you clarify which version you are using?",
]
FILLER = (
    "The important part is to keep each step small and check the result before moving on. "
    "In practice this means testing with a simple input first, then adding the harder cases. "
    "You may also want to write down what you expect to happen so that surprises are obvious. "
    "Most problems of this kind come from an assumption that does not hold for every input. "
    "If the result still looks off, compare it with a known good example side by side. "
    "Keeping notes makes it much easier to come back to this later and pick up where you left. "
).split(". ")
CODE = (
    "```python\ndef handle(items):\n    result = []\n    for item in items:\n"
    "        if item:\n            result.append(item.strip())\n    return result\n```"
)
LOG = (
    'Traceback (most recent call last):\n  File "app.py", line 42, in main\n    run()\n'
    "ValueError: invalid literal for int() with base 10: 'abc'"
)
MODELS = ["claude-3-5-sonnet", "claude-3-opus", "claude-3-haiku", "claude-sonnet-4"]


def _assistant_text(rng: random.Random, topic: str) -> str:
    parts = [rng.choice(ASSISTANT_OPENERS)]
    parts.extend(rng.choice(FILLER).strip() + "." for _ in range(rng.randint(2, 12)))
    if topic in ("coding", "data") and rng.random() < 0.5:
        parts.append(CODE)
    return " ".join(parts)


def _user_text(rng: random.Random, topic: str, first: bool) -> str:
    spec = TOPICS[topic]
    if first or rng.random() < 0.35:
        text = rng.choice(spec["asks"]).format(n=rng.choice(spec["nouns"]))
    else:
        text = rng.choice(FOLLOW_UPS)
    if topic == "coding" and rng.random() < 0.15:
        text += "\n" + LOG
    if rng.random() < 0.1:
        text += " " + " ".join(rng.choice(FILLER).strip() + "." for _ in range(rng.randint(1, 4)))
    return text


def _start_time(rng: random.Random, base: datetime, days: int) -> datetime:
    day = base + timedelta(days=rng.randrange(days))
    # Daytime-heavy activity with some late nights.
    hour = int(min(23, max(0, rng.gauss(14, 4))))
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def make_corpus(n_conversations: int, seed: int = 0) -> Corpus:
    """A corpus of ``n_conversations`` (about 20 messages each on average)."""
    rng = random.Random(seed)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    conversations = []
    topic_names = sorted(TOPICS)
    for c in range(n_conversations):
        topic = rng.choice(topic_names)
        cid = f"conv-{seed}-{c:06d}"
        when = _start_time(rng, base, 365)
        turns = max(1, min(60, int(rng.expovariate(1 / 10))))
        model = rng.choice(MODELS)
        messages: list[Message] = []
        for t in range(turns):
            user = Message(
                id=f"{cid}-u{t}",
                role="user",
                created_at=when,
                text=_user_text(rng, topic, t == 0),
                abandoned_alternatives=1 if rng.random() < 0.02 else 0,
            )
            if rng.random() < 0.05:
                user.attachments = [
                    Attachment(file_name="notes.txt", extracted_text=rng.choice(FILLER))
                ]
            messages.append(user)
            when += timedelta(seconds=rng.randint(5, 90))
            if t == turns - 1 and rng.random() < 0.1:
                break  # the user left without an answer
            assistant = Message(
                id=f"{cid}-a{t}",
                role="assistant",
                created_at=when,
                text=_assistant_text(rng, topic),
                model=model,
                abandoned_alternatives=1 if rng.random() < 0.03 else 0,
            )
            if rng.random() < 0.3:
                assistant.thinking = ["Let me think about what the user needs here."]
            if rng.random() < 0.1:
                failed = rng.random() < 0.2
                assistant.tool_uses = [
                    ToolUse(id=f"{cid}-t{t}", name="web_search", input_json='{"q":"x"}')
                ]
                assistant.tool_results = [
                    ToolResult(
                        tool_use_id=f"{cid}-t{t}", name="web_search", is_error=failed, text="ok"
                    )
                ]
            messages.append(assistant)
            # Mostly quick back-and-forth, sometimes a long pause.
            when += timedelta(minutes=rng.choice([1, 2, 3, 5, 10, 45, 180]))
        conversations.append(
            Conversation(
                id=cid,
                title=f"{topic.title()} question {c}",
                created_at=messages[0].created_at,
                updated_at=messages[-1].created_at,
                model=model,
                messages=messages,
                abandoned_branches=sum(1 for m in messages if m.abandoned_alternatives),
                abandoned_messages=sum(m.abandoned_alternatives for m in messages),
            )
        )
    return Corpus(conversations=conversations)
