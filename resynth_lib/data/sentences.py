"""The project's own English sentences: a seeded grammar plus selection for phonetic coverage.

Taught in notebook 00 (``00_audio_and_data``), where we look at how the corpus was made.

A small hand-written grammar (names, places, people, objects, verbs in several tenses,
adjectives, adverbs, numbers written as words) produces statements, questions,
exclamations and commands of about 6-14 words. From a large, deterministic pool of such
candidates, :func:`select_for_coverage` greedily keeps the sentences that add the most
phones and diphones not yet covered (as pronounced by ``flite``), preferring sentences
of a target length. Everything depends only on the seed.

Example
-------
>>> from resynth_lib.data.sentences import generate_candidates
>>> from resynth_lib.data.phonetic_coverage import select_for_coverage
>>> pool = generate_candidates(24, seed=0)
>>> chosen = select_for_coverage(pool, 5)           # needs the `flite` program
>>> len(chosen), all(s in pool for s in chosen)
(5, True)
"""
from __future__ import annotations

import random

# --------------------------------------------------------------------------- vocabulary
# Words are chosen to be in flite's lexicon (so they are pronounced, not guessed).

NAMES = [  # (name, pronoun)
    ("Anna", "she"), ("Maria", "she"), ("Helen", "she"), ("Julia", "she"), ("Ruth", "she"),
    ("Laura", "she"), ("Martha", "she"), ("Judy", "she"), ("Nancy", "she"), ("Irene", "she"),
    ("Alice", "she"), ("Grace", "she"), ("Olivia", "she"), ("Sarah", "she"), ("Peter", "he"),
    ("George", "he"), ("Victor", "he"), ("Oscar", "he"), ("Thomas", "he"), ("Daniel", "he"),
    ("Edward", "he"), ("Frank", "he"), ("Joseph", "he"), ("Walter", "he"), ("Charles", "he"),
    ("Henry", "he"), ("Kevin", "he"), ("Arthur", "he"),
]
PEOPLE = ["teacher", "farmer", "doctor", "soldier", "driver", "singer", "painter", "judge",
          "nurse", "pilot", "lawyer", "neighbor", "stranger", "baker", "sailor", "student",
          "gardener", "fisherman", "waiter", "engineer", "captain", "mechanic"]
PERSON_ADJ = ["old", "young", "tall", "quiet", "careful", "angry", "cheerful", "tired",
              "nervous", "clever", "patient", "busy", "lonely", "famous", "brave", "polite",
              "curious", "gentle", "jealous", "sleepy", "elderly", "friendly"]
THINGS = ["letter", "bottle", "jacket", "basket", "hammer", "violin", "picture", "map",
          "candle", "wallet", "umbrella", "blanket", "ladder", "bicycle", "mirror", "lamp",
          "suitcase", "kettle", "notebook", "envelope", "shovel", "trumpet", "sweater",
          "helmet", "key", "clock", "guitar", "camera", "bucket", "pillow", "radio", "saddle"]
THING_ADJ = ["heavy", "broken", "shiny", "yellow", "purple", "orange", "green", "smooth",
             "rough", "frozen", "tiny", "ancient", "modern", "dusty", "beautiful", "strange",
             "wooden", "expensive", "cheap", "silver", "golden", "red", "blue", "black",
             "white", "striped", "fragile", "leather", "plastic", "enormous", "crooked",
             "muddy", "empty", "valuable", "ordinary", "familiar"]
_PAPER = {"letter", "envelope", "map", "picture", "notebook"}
_MATERIAL = {"wooden", "leather", "plastic", "silver", "golden", "frozen"}
PLACES = ["kitchen", "garden", "museum", "station", "library", "market", "harbor",
          "village", "hospital", "theater", "forest", "office", "bank", "church", "school",
          "bakery", "warehouse", "cottage", "garage", "cathedral", "playground", "laboratory",
          "airport", "castle", "barn", "restaurant", "hotel", "gallery", "factory", "stadium"]
PLACE_ADJ = ["quiet", "crowded", "empty", "bright", "dark", "peaceful", "cold", "noisy",
             "lovely", "gloomy", "huge", "warm"]
PREPOSITIONS = ["in", "near", "behind", "beside", "inside", "outside"]
CITIES = ["Boston", "Chicago", "Denver", "Dallas", "Seattle", "Paris", "London", "Berlin",
          "Tokyo", "Madrid", "Cairo", "Moscow", "Sydney", "Toronto", "Vienna", "Dublin",
          "Lisbon", "Mexico", "Norway", "Brazil", "Texas", "Ohio", "Virginia", "Oregon",
          "Japan", "Egypt", "Italy", "Peru"]
ADVERBS = ["quickly", "slowly", "carefully", "quietly", "easily", "suddenly", "happily",
           "gently", "loudly", "eagerly", "bravely", "proudly", "secretly", "nervously",
           "patiently", "calmly", "politely", "boldly"]
CARE_ADVERBS = ["carefully", "quickly", "slowly", "gently", "quietly", "calmly", "at once"]
PAST_TIMES = ["yesterday", "last night", "last week", "this morning", "on Monday",
              "on Tuesday evening", "two days ago", "in January", "at midnight", "after lunch",
              "before breakfast", "during the storm", "last summer", "in October",
              "on Saturday afternoon", "an hour ago"]
HABIT_TIMES = ["every morning", "on Sundays", "twice a week", "in the winter", "after work",
               "every afternoon", "on weekends", "each evening", "in August"]
SOME_TIMES = ["on Sundays", "in the winter", "after work", "on weekends", "in August",
              "at night", "before lunch"]
FUTURE_TIMES = ["tomorrow", "next week", "on Friday", "tonight", "next summer",
                "in three hours", "after dinner", "on Wednesday morning", "next month"]
REASONS = ["it was raining", "the road was icy", "the train was late", "the shops were closed",
           "the wind was too strong", "the bus never came", "the bridge was flooded",
           "nobody answered the phone", "the weather was terrible", "the lights went out",
           "the car would not start", "the river was frozen"]
FEELINGS = ["happy", "worried", "surprised", "delighted", "annoyed", "relieved", "puzzled",
            "exhausted", "thrilled", "embarrassed", "afraid", "calm"]


def _verb(base: str, past: str | None = None, part: str | None = None,
          third: str | None = None, ing: str | None = None) -> tuple[str, str, str, str, str]:
    """(base, past, third person singular, -ing form, past participle) of a verb;
    regular forms are made by rule, irregular ones given."""
    consonant_y = base.endswith("y") and base[-2] not in "aeiou"
    if past is None:
        past = base + "d" if base.endswith("e") else base[:-1] + "ied" if consonant_y else base + "ed"
    if third is None:
        third = (base[:-1] + "ies" if consonant_y
                 else base + "es" if base.endswith(("s", "sh", "ch", "x", "o")) else base + "s")
    if ing is None:
        ing = (base[:-1] if base.endswith("e") else base) + "ing"
    return base, past, third, ing, part or past


# Transitive verbs that make sense with any of THINGS as object.
OBJ_VERBS = [
    _verb("find", "found"), _verb("carry"), _verb("buy", "bought"), _verb("sell", "sold"),
    _verb("borrow"), _verb("repair"), _verb("clean"), _verb("hide", "hid", "hidden"),
    _verb("drop", "dropped", ing="dropping"), _verb("lift"), _verb("bring", "brought"),
    _verb("take", "took", "taken"), _verb("examine"), _verb("wrap", "wrapped", ing="wrapping"),
    _verb("move"), _verb("keep", "kept"), _verb("forget", "forgot", "forgotten", ing="forgetting"),
    _verb("lose", "lost"), _verb("deliver"), _verb("steal", "stole", "stolen"),
    _verb("choose", "chose", "chosen"), _verb("pack"), _verb("paint"), _verb("inspect"),
    _verb("weigh"), _verb("polish"), _verb("fetch"), _verb("mend"), _verb("guard"),
]
# Verbs of motion followed by "to <place>": short trips (to a place in town) and long
# journeys (to a city or country).
NEAR_VERBS = [
    _verb("walk"), _verb("run", "ran", "run", ing="running"), _verb("hurry"), _verb("return"),
    _verb("wander"), _verb("ride", "rode", "ridden"),
    _verb("go", "went", "gone"), _verb("cycle"), _verb("march"), _verb("stroll"),
]
FAR_VERBS = [
    _verb("travel", "traveled", ing="traveling"), _verb("drive", "drove", "driven"),
    _verb("fly", "flew", "flown"), _verb("go", "went", "gone"), _verb("move"), _verb("return"),
    _verb("sail"),
]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    """An integer 0-9999 in words, e.g. ``number_words(342)`` gives 'three hundred and forty two'.

    The grammar writes numbers as words so that flite reads them the way they are written
    (notebook 00).

    Example
    -------
    >>> number_words(342)
    'three hundred and forty two'
    >>> number_words(2005)
    'two thousand and five'
    """
    if not 0 <= n < 10000:
        raise ValueError("number_words handles 0-9999")
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        head, rest = _ONES[n // 100] + " hundred", n % 100
    else:
        head, rest = _ONES[n // 1000] + " thousand", n % 1000
    return head if rest == 0 else head + (" and " if rest < 100 else " ") + number_words(rest)


# --------------------------------------------------------------------------- grammar
def _a(word: str) -> str:
    """The indefinite article for ``word`` ("an" before a vowel letter)."""
    return ("an " if word[0] in "aeiou" else "a ") + word


def _plural(noun: str) -> str:
    if noun.endswith(("s", "sh", "ch", "x")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith("man"):
        return noun[:-3] + "men"
    return noun + "s"


class _Grammar:
    """Draws the pieces of a sentence from one random generator."""

    def __init__(self, rng: random.Random):
        self.r = rng

    def pick(self, seq):
        return self.r.choice(seq)

    def maybe(self, p: float, text: str) -> str:
        return text if self.r.random() < p else ""

    def person(self) -> tuple[str, str]:
        """A subject and its pronoun: a name, or 'the careful baker'."""
        roll = self.r.random()
        if roll < 0.45:
            return self.pick(NAMES)
        noun = self.pick(PEOPLE)
        det = "the" if noun == "stranger" else self.pick(["the", "the", "my", "our", "your"])
        adj = self.maybe(0.6, self.pick(PERSON_ADJ) + " ")
        return f"{det} {adj}{noun}", "they"

    def thing(self, det: str = "the", adj_p: float = 0.6) -> str:
        noun = self.pick(THINGS)
        adj = self.pick(THING_ADJ) if self.r.random() < adj_p else ""
        while noun in _PAPER and adj in _MATERIAL:
            adj = self.pick(THING_ADJ)
        phrase = f"{adj} {noun}".strip()
        return _a(phrase) if det == "a" else f"{det} {phrase}"

    def place(self) -> str:
        adj = self.maybe(0.3, self.pick(PLACE_ADJ) + " ")
        return f"the {adj}{self.pick(PLACES)}"

    def location(self) -> str:
        return f"{self.pick(PREPOSITIONS)} {self.place()}"

    def trip(self) -> tuple[tuple[str, ...], str]:
        """A verb of motion and where to: a short trip or a long journey."""
        if self.r.random() < 0.5:
            return self.pick(FAR_VERBS), self.pick(CITIES)
        return self.pick(NEAR_VERBS), self.place()

    def number(self) -> int:
        return self.r.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 20, 30, 40, 50])

    # ---- statements
    def s_past(self):
        subj, _ = self.person()
        adv = self.maybe(0.3, self.pick(ADVERBS) + " ")
        v = self.pick(OBJ_VERBS)
        loc = self.maybe(0.5, " " + self.location())
        when = self.maybe(0.5, " " + self.pick(PAST_TIMES))
        return f"{subj} {adv}{v[1]} {self.thing(self.pick(['the', 'a', 'her', 'his']))}{loc}{when}."

    def s_habit(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        freq = self.pick(["usually", "often", "never", "always", "sometimes", "rarely"])
        when = self.location() if freq in ("never", "always") else self.pick(SOME_TIMES)
        return f"{subj} {freq} {v[2]} {self.thing()} {when}."

    def s_future(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        n = self.number()
        return f"{subj} will {v[0]} {number_words(n)} {_plural(self.pick(THINGS))} {self.pick(FUTURE_TIMES)}."

    def s_progressive(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        tense = self.pick(["is", "was"])
        return f"{subj} {tense} {v[3]} {self.thing()} {self.location()}."

    def s_perfect(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        adv = self.pick(["never", "already", "just", "finally"])
        tail = " before" if adv == "never" else self.maybe(0.5, " " + self.location())
        return f"{subj} has {adv} {v[4]} {self.thing('a', 0.9)}{tail}."

    def s_motion(self):
        subj, _ = self.person()
        v, where = self.trip()
        roll = self.r.random()
        if roll < 0.4:
            return f"{subj} {v[1]} to {where} because {self.pick(REASONS)}."
        if roll < 0.7:
            return f"{subj} {v[1]} to {where} {self.pick(PAST_TIMES)}."
        return f"{subj} will {v[0]} to {where} {self.pick(FUTURE_TIMES)}."

    def s_when(self):
        name, pron = self.pick(NAMES)
        mv = self.pick(NEAR_VERBS)
        v = self.pick(OBJ_VERBS)
        return (f"When {name} {mv[1]} to {self.place()}, {pron} {v[1]} "
                f"{self.thing('a', 0.8)}.")

    def s_count(self):
        n = number_words(self.number())
        adj = self.maybe(0.6, self.pick(THING_ADJ) + " ")
        return f"There were {n} {adj}{_plural(self.pick(THINGS))} {self.location()}."

    def s_price(self):
        subj, _ = self.person()
        price = self.r.choice([self.r.randint(2, 99), self.r.randint(100, 999),
                               self.r.randint(1000, 9999)])
        verb, prep = self.pick([("paid", "for"), ("spent", "on"), ("charged us", "for")])
        return f"{subj} {verb} {number_words(price)} dollars {prep} {self.thing('a', 0.7)}."

    def s_feeling(self):
        name, _ = self.pick(NAMES)
        return (f"{name} felt {self.pick(FEELINGS)} {self.pick(['because', 'when'])} "
                f"{self.pick(REASONS)}.")

    # ---- questions
    def q_did(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        return f"Did {subj} {v[0]} {self.thing()} {self.pick(PAST_TIMES)}?"

    def q_wh(self):
        subj, _ = self.person()
        v = self.pick(OBJ_VERBS)
        wh = self.pick(["Where", "Why", "When", "How"])
        return f"{wh} did {subj} {v[0]} {self.thing()}?"

    def q_how_many(self):
        subj, _ = self.person()
        verb = self.pick(["buy", "sell", "find", "choose", "lose", "repair", "pack", "paint"])
        return f"How many {_plural(self.pick(THINGS))} did {subj} {verb} in {self.place()}?"

    def q_ever(self):
        v = self.pick(["traveled", "flown", "driven", "been", "sailed"])
        return f"Have you ever {v} to {self.pick(CITIES)} {self.pick(['in the winter', 'by yourself', 'with a friend', 'at night'])}?"

    def q_can(self):
        v = self.pick(OBJ_VERBS)
        name, _ = self.pick(NAMES)
        modal = self.pick(["Can you", "Could you", "Would you"])
        return f"{modal} {v[0]} {self.thing()} before {name} {self.pick(['arrives', 'gets home', 'wakes up'])}?"

    def q_who(self):
        v = self.pick(OBJ_VERBS)
        return f"Who {v[1]} {self.thing(self.pick(['the', 'my', 'our']))} {self.location()}?"

    def q_will(self):
        subj, _ = self.person()
        v, where = self.trip()
        return f"Will {subj} {v[0]} to {where} {self.pick(FUTURE_TIMES)}?"

    def q_is(self):
        verb, when = self.pick([("Is", HABIT_TIMES), ("Was", PAST_TIMES)])
        return f"{verb} the {self.pick(PLACES)} {self.pick(PLACE_ADJ)} {self.pick(when)}?"

    # ---- exclamations and commands
    def e_what(self):
        if self.r.random() < 0.5:
            phrase, tail = f"{self.pick(THING_ADJ)} {self.pick(THINGS)}", ["you have", "we found"]
        else:
            phrase, tail = f"{self.pick(PLACE_ADJ)} {self.pick(PLACES)}", ["that is", "this is"]
        return f"What {_a(phrase)} {self.pick(tail)}!"

    def e_how(self):
        subj, _ = self.person()
        mv = self.pick(NEAR_VERBS)
        return f"How {self.pick(ADVERBS)} {subj} {mv[1]} to {self.place()}!"

    def c_please(self):
        v = self.pick([v for v in OBJ_VERBS if v[0] not in ("lose", "steal", "forget", "drop")])
        if self.r.random() < 0.3:
            return f"{v[0].capitalize()} {self.thing()} {self.location()}, please!"
        tail = self.pick([self.location(), self.pick(FUTURE_TIMES), self.pick(CARE_ADVERBS)])
        return f"Please {v[0]} {self.thing()} {tail}{self.pick(['.', '!'])}"

    def c_dont(self):
        v = self.pick(OBJ_VERBS)
        return f"{self.pick(['Do not', 'Never', 'Please do not'])} {v[0]} {self.thing()} {self.location()}!"

    def sentence(self) -> str:
        kinds = [(self.s_past, 10), (self.s_habit, 4), (self.s_future, 4), (self.s_progressive, 4),
                 (self.s_perfect, 4), (self.s_motion, 6), (self.s_when, 4), (self.s_count, 3),
                 (self.s_price, 3), (self.s_feeling, 3), (self.q_did, 4), (self.q_wh, 4),
                 (self.q_how_many, 2), (self.q_ever, 2), (self.q_can, 2), (self.q_who, 2),
                 (self.q_will, 2), (self.q_is, 1), (self.e_what, 2), (self.e_how, 2),
                 (self.c_please, 3), (self.c_dont, 2)]
        make = self.r.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
        text = " ".join(make().split())
        return text[0].upper() + text[1:]


def generate_candidates(n: int, seed: int = 0, min_words: int = 6, max_words: int = 14) -> list[str]:
    """``n`` distinct sentences from the grammar, always the same ones for the same seed.

    Taught in notebook 00 (``00_audio_and_data``).

    Example
    -------
    >>> generate_candidates(3, seed=0) == generate_candidates(3, seed=0)
    True
    >>> all(s[0].isupper() and s[-1] in ".?!" for s in generate_candidates(50, seed=1))
    True
    """
    grammar, seen, out = _Grammar(random.Random(seed)), set(), []
    for _ in range(n * 50):
        text = grammar.sentence()
        if min_words <= len(text.split()) <= max_words and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
            if len(out) == n:
                return out
    raise RuntimeError(f"the grammar produced only {len(out)} distinct sentences, fewer than {n}")


__all__ = ["generate_candidates", "number_words"]
