"""Reading and validating a questionnaire file (``frageformular.yml``).

The file is read strictly (:func:`trygghet.config.read_yaml`: duplicate keys,
alias bombs and syntax errors are refused with their line) and then checked
field by field. Every error is one Swedish :class:`~trygghet.errors.TrygghetError`
naming the file, the **line** of the offending key and the field's path
(``indicators[2].counts``), what is wrong and how to fix it. Lines come from
composing the same text into YAML nodes, which keep their marks; the values
themselves come from the strict reader.

What is checked, beyond types: identifiers are lower-case names; question
ids, expanded item questions and indicator ids are unique; every scale,
question, battery and index named exists; the answers an indicator counts,
its base and what it excludes are levels of the question's scale and do not
overlap; every *special* level of a scale (``Går inte ut ensam p.g.a.
otrygghet``) is placed by each share indicator on that scale, so the rule
for those who stay in because they feel unsafe is always written down.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .config import read_yaml
from .errors import TrygghetError, shown
from .questionnaire import Battery, Indicator, Questionnaire, QuestionYears
from .schema import META_FIELDS, MISSING_LABELS, Question, Scale, option_column, slug

KINDS = ("single", "multi", "grid", "number", "text")
RULES = ("share", "any_of", "items", "options", "index")
TOP_KEYS = {"version", "name", "scales", "questions", "batteries", "indicators", "indices"}
SCALE_KEYS = {"levels", "missing", "special", "ordered"}
QUESTION_KEYS = {"id", "kind", "scale", "text", "items", "background", "max_choices",
                 "asked", "changed"}
INDICATOR_KEYS = {"id", "type", "theme", "question", "battery", "counts", "base", "exclude",
                  "prefix", "label", "short", "hidden"}
AREA_SCALE = "areas"  # the municipality's areas: levels come from each year's mapping
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Reader:
    """The file's values and the line of every key, for messages."""

    def __init__(self, path: Path):
        self.path = path
        self.data = read_yaml(path)
        self.lines: dict[tuple, int] = {}
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, where: tuple) -> None:
        self.lines.setdefault(where, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[(*where, key.value)] = key.start_mark.line + 1
                self._walk(value, (*where, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*where, i))

    def fail(self, where: tuple, message: str, hint: str | None = None) -> TrygghetError:
        """An error at ``where`` (a path of keys and indices), with its line."""
        line = None
        for n in range(len(where), -1, -1):
            line = self.lines.get(tuple(where[:n]))
            if line is not None:
                break
        name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
        return TrygghetError(message, file=self.path, row=line, column=name or None, hint=hint)

    def mapping(self, where: tuple, value: Any, keys: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"ska vara en samling nyckel: värde, inte {shown(value)}")
        if keys is not None:
            for key in value:
                if key not in keys:
                    raise self.fail((*where, key), f"okänd nyckel '{key}'",
                                    f"tillåtna nycklar: {', '.join(sorted(keys))}")
        return value

    def texts(self, where: tuple, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise self.fail(where, f"ska vara en lista med texter, inte {shown(value)}")
        return tuple(value)

    def both(self, where: tuple, value: Any) -> dict[str, str]:
        """A ``{sv: …, en: …}`` text pair."""
        pair = self.mapping(where, value, {"sv", "en"})
        for lang, word in (("sv", "svenska"), ("en", "engelska")):
            if not isinstance(pair.get(lang), str) or not pair[lang].strip():
                raise self.fail(where, f"texten på {word} ({lang}) saknas",
                                "skriv t.ex. {sv: Kön, en: Sex}")
        return {"sv": pair["sv"], "en": pair["en"]}

    def ident(self, where: tuple, value: Any) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(where, f"ogiltigt id {shown(value)}",
                            "små bokstäver a–z, siffror och _, med en bokstav först")
        return value


def _scales(r: _Reader, raw: Any) -> tuple[dict[str, Scale], dict[str, dict[str, str]]]:
    scales, english = {}, {}
    for name, spec in r.mapping(("scales",), raw).items():
        where = ("scales", name)
        r.ident(where, name)
        spec = r.mapping(where, spec, SCALE_KEYS)
        raw_levels = spec.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            raise r.fail((*where, "levels"), "skalan har inga svarsalternativ",
                         "t.ex. levels: [{sv: Ja, en: 'Yes'}, {sv: Nej, en: 'No'}]")
        levels, en = [], {}
        for i, level in enumerate(raw_levels):
            pair = ({"sv": level, "en": level} if isinstance(level, str)
                    else r.both((*where, "levels", i), level))
            if pair["sv"] in levels:
                raise r.fail((*where, "levels", i), f"'{pair['sv']}' står två gånger")
            levels.append(pair["sv"])
            en[pair["sv"]] = pair["en"]
        missing = r.texts((*where, "missing"), spec.get("missing", list(MISSING_LABELS)))
        special = r.texts((*where, "special"), spec.get("special"))
        for level in special:
            if level not in levels:
                raise r.fail((*where, "special"), f"'{level}' finns inte bland skalans levels")
        for level in missing:
            if level in levels:
                raise r.fail((*where, "missing"), f"'{level}' är både ett svar och 'saknas'")
        ordered = spec.get("ordered", True)
        if not isinstance(ordered, bool):
            raise r.fail((*where, "ordered"), f"ska vara true eller false, inte {shown(ordered)}")
        scales[name] = Scale(name, tuple(levels), missing=missing, ordered=ordered,
                             special=special)
        english[name] = en
    return scales, english


def _years(r: _Reader, where: tuple, q: dict) -> QuestionYears:
    asked = q.get("asked")
    if asked is not None:
        if isinstance(asked, dict):
            spec = r.mapping((*where, "asked"), asked, {"from", "to"})
            if not all(isinstance(spec.get(k, 0), int) for k in ("from", "to")):
                raise r.fail((*where, "asked"), "from och to ska vara årtal")
            low, high = spec.get("from", 1990), spec.get("to", 2100)
            asked = tuple(range(low, high + 1))
        elif isinstance(asked, list) and all(isinstance(y, int) for y in asked):
            asked = tuple(asked)
        else:
            raise r.fail((*where, "asked"), f"ska vara en lista med årtal, inte {shown(asked)}",
                         "t.ex. asked: [2020, 2021] eller asked: {from: 2020}")
    changes = []
    raw = q.get("changed") or []
    if not isinstance(raw, list):
        raise r.fail((*where, "changed"), "ska vara en lista",
                     "t.ex. changed: [{year: 2022, note: ny svarsskala}]")
    for i, change in enumerate(raw):
        change = r.mapping((*where, "changed", i), change, {"year", "note"})
        if not isinstance(change.get("year"), int):
            raise r.fail((*where, "changed", i), "året (year) för ändringen saknas")
        changes.append((change["year"], str(change.get("note") or "")))
    return QuestionYears(asked, tuple(sorted(changes)))


def _questions(r: _Reader, raw: Any, scales: dict[str, Scale]) -> dict[str, Any]:
    if not isinstance(raw, list) or not raw:
        raise r.fail(("questions",), "formuläret har inga frågor (questions)")
    out: dict[str, Any] = {"questions": {}, "grids": {}, "items": {}, "item_ids": {},
                           "english": {}, "years": {}}
    ids: set[str] = set()
    for i, q in enumerate(raw):
        where = ("questions", i)
        q = r.mapping(where, q, QUESTION_KEYS)
        qid = r.ident((*where, "id"), q.get("id"))
        if qid in ids or qid in out["questions"] or qid in META_FIELDS:
            raise r.fail((*where, "id"), f"id '{qid}' används redan")
        ids.add(qid)
        kind = q.get("kind")
        if kind not in KINDS:
            raise r.fail((*where, "kind"), f"okänd frågetyp {shown(kind)}",
                         f"välj en av: {', '.join(KINDS)}")
        text = r.both((*where, "text"), q.get("text"))
        scale = None
        if kind in ("single", "multi", "grid"):
            name = q.get("scale")
            if name == AREA_SCALE and kind == "single":
                scale = None
            elif name not in scales:
                raise r.fail((*where, "scale"), f"okänd skala {shown(name)}",
                             f"skalorna är: {', '.join(scales)}")
            else:
                scale = scales[name]
        elif "scale" in q:
            raise r.fail((*where, "scale"), f"en fråga av typen {kind} har ingen skala")
        background = q.get("background", False)
        if not isinstance(background, bool):
            raise r.fail((*where, "background"), "ska vara true eller false")
        max_choices = q.get("max_choices")
        if max_choices is not None and (kind != "multi" or not isinstance(max_choices, int)
                                        or isinstance(max_choices, bool) or max_choices < 1):
            raise r.fail((*where, "max_choices"), "gäller flervalsfrågor: ett heltal från 1")
        years = _years(r, where, q)
        if kind != "grid":
            if "items" in q:
                raise r.fail((*where, "items"), "bara en grid-fråga har påståenden (items)")
            out["questions"][qid] = Question(qid, text["sv"], kind, scale,
                                             max_choices=max_choices, background=background)
            out["english"][qid] = text["en"]
            out["years"][qid] = years
            continue
        items = q.get("items")
        if not isinstance(items, list) or not items:
            raise r.fail((*where, "items"), "en grid-fråga behöver påståenden (items)",
                         "t.ex. items: [{id: nedskrapning, sv: nedskräpning, en: litter}]")
        if "{item}" not in text["sv"] or "{item}" not in text["en"]:
            raise r.fail((*where, "text"), "texten ska innehålla {item} där påståendet står",
                         "t.ex. 'Hur stort problem är {item} i ditt område?'")
        names = []
        for j, item in enumerate(items):
            item = r.mapping((*where, "items", j), item, {"id", "sv", "en"})
            iid = r.ident((*where, "items", j, "id"), item.get("id"))
            pair = r.both((*where, "items", j), {"sv": item.get("sv"), "en": item.get("en")})
            name = f"{qid}_{iid}"
            if name in out["questions"] or name in META_FIELDS:
                raise r.fail((*where, "items", j, "id"), f"frågan '{name}' finns redan")
            out["questions"][name] = Question(name, text["sv"].replace("{item}", pair["sv"]),
                                              "single", scale, background=background)
            out["english"][name] = text["en"].replace("{item}", pair["en"])
            out["items"][name] = pair
            out["item_ids"][name] = iid
            out["years"][name] = years
            names.append(name)
        out["grids"][qid] = tuple(names)
    return out


def _members(r: _Reader, where: tuple, names: Any, found: dict) -> tuple[str, ...]:
    """Question ids (a grid stands for its items) → canonical question names."""
    out = []
    for name in r.texts(where, names):
        if name in found["grids"]:
            out += found["grids"][name]
        elif name in found["questions"]:
            out.append(name)
        else:
            raise r.fail(where, f"okänd fråga '{name}'", "ange frågornas id under questions")
    if not out:
        raise r.fail(where, "inga frågor angivna")
    return tuple(out)


def _batteries(r: _Reader, raw: Any, found: dict) -> dict[str, Battery]:
    out = {}
    for name, spec in r.mapping(("batteries",), raw or {}).items():
        where = ("batteries", name)
        r.ident(where, name)
        spec = r.mapping(where, spec, {"title", "questions"})
        out[name] = Battery(name, r.both((*where, "title"), spec.get("title")),
                            _members(r, (*where, "questions"), spec.get("questions"), found))
    return out


def _answers(r: _Reader, where: tuple, spec: dict, scale: Scale | None, *, check_special: bool
             ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``counts`` and ``base`` of an indicator, checked against the question's scale."""
    if scale is None:
        raise r.fail(where, "frågan har ingen svarsskala att räkna svar på")
    counts = r.texts((*where, "counts"), spec.get("counts"))
    base = r.texts((*where, "base"), spec.get("base"))
    exclude = r.texts((*where, "exclude"), spec.get("exclude"))
    if not counts:
        raise r.fail((*where, "counts"), "ange vilka svar som räknas (counts)")
    for key, values in (("counts", counts), ("base", base), ("exclude", exclude)):
        for value in values:
            if value not in scale.levels:
                raise r.fail((*where, key), f"'{value}' finns inte på skalan {scale.name}",
                             f"skalans svar: {', '.join(scale.levels)}")
    overlap = (set(counts) & set(base)) | (set(exclude) & (set(counts) | set(base)))
    if overlap:
        raise r.fail(where, f"'{sorted(overlap)[0]}' står på två ställen av counts, base och "
                     "exclude")
    if check_special:
        for level in scale.special:
            if level not in (*counts, *base, *exclude):
                raise r.fail((*where, "counts"), f"säg om svaret '{level}' räknas (counts), "
                             "ingår i basen "
                             "(base) eller står utanför (exclude)",
                             "t.ex. räknas den som inte går ut ensam p.g.a. otrygghet som otrygg")
    return counts, base


def _label(r: _Reader, where: tuple, spec: dict, key: str = "label") -> dict[str, str]:
    return r.both((*where, key), spec.get(key))


def _indicators(r: _Reader, raw: Any, found: dict, batteries: dict[str, Battery],
                indices: dict[str, Any]) -> dict[str, Indicator]:
    if not isinstance(raw, list) or not raw:
        raise r.fail(("indicators",), "formuläret har inga indikatorer (indicators)")
    questions: dict[str, Question] = found["questions"]
    out: dict[str, Indicator] = {}

    def add(where: tuple, ind: Indicator) -> None:
        if ind.name in out:
            raise r.fail(where, f"indikatorn '{ind.name}' finns redan")
        out[ind.name] = ind

    def question(where: tuple, spec: dict, kind: str) -> Question:
        name = spec.get("question")
        q = questions.get(name) if isinstance(name, str) else None
        if q is None or q.kind != kind:
            raise r.fail((*where, "question"), f"{shown(name)} är ingen fråga av typen {kind}")
        return q

    def battery(where: tuple, spec: dict) -> Battery:
        name = spec.get("battery")
        if name not in batteries:
            raise r.fail((*where, "battery"), f"okänt batteri {shown(name)}",
                         f"batterierna är: {', '.join(batteries) or 'inga'}")
        return batteries[name]

    for i, spec in enumerate(raw):
        where = ("indicators", i)
        spec = r.mapping(where, spec, INDICATOR_KEYS)
        iid = r.ident((*where, "id"), spec.get("id"))
        rule = spec.get("type")
        if rule not in RULES:
            raise r.fail((*where, "type"), f"okänd indikatortyp {shown(rule)}",
                         f"välj en av: {', '.join(RULES)}")
        theme = spec.get("theme")
        if not isinstance(theme, str) or not theme.strip():
            raise r.fail((*where, "theme"), "ange ett tema (theme), t.ex. Trygghet")
        hidden = spec.get("hidden", False)
        if not isinstance(hidden, bool):
            raise r.fail((*where, "hidden"), "ska vara true eller false")
        short = _label(r, where, spec, "short") if "short" in spec else None
        if rule == "share":
            q = question(where, spec, "single")
            counts, base = _answers(r, where, spec, q.scale, check_special=True)
            add(where, Indicator(iid, kind="share", questions=(q.name,), counts=counts, base=base,
                                 label=_label(r, where, spec), short=short, theme=theme,
                                 hidden=hidden))
        elif rule == "any_of":
            b = battery(where, spec)
            counts, base = (), ()
            for name in b.questions:
                counts, base = _answers(r, where, spec, questions[name].scale,
                                        check_special=True)
            add(where, Indicator(iid, kind="share", questions=b.questions, rule="any_of",
                                 counts=counts, base=base, label=_label(r, where, spec),
                                 short=short, theme=theme, hidden=hidden))
        elif rule == "items":
            b = battery(where, spec)
            label = _template(r, where, spec, "{item}")
            prefix = _prefix(r, where, spec)
            for name in b.questions:
                counts, base = _answers(r, where, spec, questions[name].scale,
                                        check_special=True)
                item = found["items"].get(name) or {"sv": questions[name].text,
                                                    "en": found["english"][name]}
                key = found["item_ids"].get(name, name)
                add(where, Indicator(
                    f"{prefix}{key}", kind="share", questions=(name,), counts=counts, base=base,
                    family=iid, option=item["sv"],
                    label={lang: label[lang].replace("{item}", item[lang]) for lang in label},
                    theme=theme, hidden=hidden))
        elif rule == "options":
            q = question(where, spec, "multi")
            label = _template(r, where, spec, "{option")
            prefix = _prefix(r, where, spec)
            english = found["level_english"].get(q.answer_scale.name, {})
            for level in q.answer_scale.levels:
                words = {"sv": level, "en": english.get(level, level)}
                add(where, Indicator(
                    f"{prefix}{slug(level)}", kind="share", questions=(q.name,), rule="option",
                    column=option_column(q.name, level), family=iid, option=level,
                    label={lang: label[lang].replace("{option_lower}", _lower(words[lang]))
                           .replace("{option}", words[lang]) for lang in label},
                    theme=theme, hidden=hidden))
        else:  # index
            if iid not in indices:
                raise r.fail((*where, "id"), f"indexet '{iid}' saknas under indices")
            add(where, Indicator(iid, kind="mean", questions=indices[iid]["questions"],
                                 rule="index", index=iid, label=_label(r, where, spec),
                                 short=short, theme=theme, hidden=hidden))
    return out


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _template(r: _Reader, where: tuple, spec: dict, placeholder: str) -> dict[str, str]:
    label = _label(r, where, spec)
    if not all(placeholder in label[lang] for lang in label):
        raise r.fail((*where, "label"), f"namnet ska innehålla {placeholder}"
                     f"{'}' if placeholder == '{item}' else '}'} på båda språken",
                     "t.ex. label: {sv: 'Stort problem: {item}', en: 'Big problem: {item}'}")
    return label


def _prefix(r: _Reader, where: tuple, spec: dict) -> str:
    prefix = spec.get("prefix")
    if not isinstance(prefix, str) or not re.match(r"^[a-z][a-z0-9_]*_$", prefix):
        raise r.fail((*where, "prefix"), f"ogiltigt prefix {shown(prefix)}",
                     "små bokstäver som slutar med _, t.ex. stort_problem_")
    return prefix


def _indices(r: _Reader, raw: Any, found: dict, batteries: dict[str, Battery]) -> dict[str, Any]:
    spec = r.mapping(("indices",), raw or {})
    out: dict[str, Any] = {"min_answered": spec.get("min_answered", 0.5),
                           "bands": spec.get("bands", [])}
    share = out["min_answered"]
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise r.fail(("indices", "min_answered"), f"ska vara en andel över 0 och högst 1, inte "
                     f"{shown(share)}", "t.ex. 0.5 = minst hälften av frågorna besvarade")
    bands = out["bands"]
    if not isinstance(bands, list) or not all(
            isinstance(b, list) and len(b) == 2 and isinstance(b[0], int | float)
            and isinstance(b[1], str) for b in bands) \
            or [b[0] for b in bands] != sorted(b[0] for b in bands):
        raise r.fail(("indices", "bands"), "ska vara en lista [nedre gräns, namn] i "
                     "stigande ordning", "t.ex. - [0.0, Låg nivå]")
    questions: dict[str, Question] = found["questions"]
    for name, index in spec.items():
        if name in ("min_answered", "bands"):
            continue
        where = ("indices", name)
        r.ident(where, name)
        index = dict(r.mapping(where, index, {"label", "battery", "scores", "groups"}))
        scores = r.mapping((*where, "scores"), index.get("scores"))
        if "battery" in index:
            if index["battery"] not in batteries:
                raise r.fail((*where, "battery"), f"okänt batteri {shown(index['battery'])}")
            items = batteries[index["battery"]].questions
            per_item = dict.fromkeys(items, scores)
        else:
            items, per_item = tuple(scores), scores
        for q in items:
            if q not in questions or questions[q].scale is None:
                raise r.fail((*where, "scores", q), f"okänd fråga med svarsskala '{q}'")
            table = r.mapping((*where, "scores", q) if "battery" not in index
                              else (*where, "scores"), per_item[q])
            for level, points in table.items():
                if level not in questions[q].answer_scale.levels:
                    raise r.fail((*where, "scores", level), f"'{level}' finns inte på skalan "
                                 f"för {q}")
                if isinstance(points, bool) or not isinstance(points, int | float):
                    raise r.fail((*where, "scores", level), f"poängen ska vara ett tal, inte "
                                 f"{shown(points)}")
        for group, members in (index.get("groups") or {}).items():
            for q in r.texts((*where, "groups", group), members):
                if q not in items:
                    raise r.fail((*where, "groups", group), f"'{q}' ingår inte i indexet")
        index["questions"] = tuple(items)
        out[name] = index
    return out


def read_questionnaire(path: Path) -> Questionnaire:
    """Build a :class:`~trygghet.questionnaire.Questionnaire` from ``path`` (validated)."""
    r = _Reader(path)
    data = r.mapping((), r.data, TOP_KEYS)
    version = data.get("version")
    if not isinstance(version, int | float | str) or isinstance(version, bool) \
            or version == "":
        raise r.fail(("version",), f"formulärets version ska vara ett nummer eller en text, "
                     f"inte {shown(version)}",
                     "t.ex. version: 1; höj den när frågorna ändras")
    name = r.both(("name",), data["name"]) if "name" in data else {"sv": "", "en": ""}
    scales, level_english = _scales(r, data.get("scales"))
    found = _questions(r, data.get("questions"), scales)
    found["level_english"] = level_english
    batteries = _batteries(r, data.get("batteries"), found)
    indices = _indices(r, data.get("indices"), found, batteries)
    indicators = _indicators(r, data.get("indicators"), found, batteries, indices)
    return Questionnaire(path=path, version=version, name=name, scales=scales,
                         questions=found["questions"], grids=found["grids"],
                         items=found["items"], english=found["english"], batteries=batteries,
                         indicators=indicators, indices=indices, years=found["years"],
                         level_english=level_english)
