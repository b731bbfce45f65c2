"""Questions generated from scene graphs, in the official record layouts of GQA, GVTBench and VQAv2.

Every question also has a plain-text form the LM is pre-trained on (`scene description + question
-> answer`), so the same generator feeds both the benchmarks and the training data.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from .scenes import BACKGROUNDS, CELL, COLORS, GRID, SHAPES, TEXTURES, Scene, SceneObject

ATTR_VALUES = {"color": tuple(COLORS), "texture": TEXTURES, "size": ("small", "large")}
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles"}
NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def object_phrase(attrs: dict[str, str], keys: tuple[str, ...], with_shape: bool = True) -> str:
    words = [attrs[k] for k in ("size", "color", "texture") if k in keys]
    words.append(attrs["shape"] if with_shape else "object")
    return " ".join(words)


def cell_word(obj: SceneObject) -> str:
    """One word for a whole object ("smallredstripedcircle"), so the LM finds it in one look-up."""
    return f"{obj.size}{obj.color}{obj.texture}{obj.shape}"


def describe(scene: Scene) -> str:
    """The scene description the LM is pre-trained to read: the background, then one word per cell of
    an 8x8 grid (one cell per ViT patch, row by row): the object centred in that cell, or "empty".

    Why this layout and not a sentence: a 4-layer LM trained for minutes did not learn to bind the
    words of a listed object to each other (which colour goes with "striped circle"), and a listing's
    length and order vary with the scene, which 32 learned queries must then mimic. Here every object
    is one token and every position means one place in the image, so a question is answered by one
    look-up, the word order carries left and right, and visual token i has one job: say what is in
    patch i (objects are at least 10 pixels apart, so no two share an 8-pixel cell)."""
    words = ["empty"] * (GRID * GRID)
    for o in scene.objects:
        cell = (o.y // CELL) * GRID + o.x // CELL
        assert words[cell] == "empty", f"two objects in cell {cell} of {scene.image_id}"
        words[cell] = cell_word(o)
    return f"{scene.background} " + " ".join(words)


def caption(scene: Scene, rng: np.random.Generator) -> str:
    """Coarse, web-like caption for CLIP: a few objects and rough colours, never texture or exact counts."""
    objs = sorted(scene.objects, key=lambda o: (o.size != "large", o.x))[:3]
    names = [f"a {o.color} {o.shape}" for o in objs]
    if not names:
        return f"an empty {scene.background} picture"
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    lead = ["a picture of", "a photo of", "an image with"][int(rng.integers(3))]
    return f"{lead} {listed} on a {scene.background} background"


def unique_ref(scene: Scene, obj: SceneObject, rng: np.random.Generator, with_shape: bool = True):
    """Shortest attribute set that singles `obj` out (shape always included when with_shape)."""
    others = [o for o in scene.objects if o is not obj]
    keys_all = ["color", "size", "texture"]
    for k in range(0 if with_shape else 1, 4):
        combos = list(itertools.combinations(keys_all, k))
        rng.shuffle(combos)
        for combo in combos:
            want = dict(obj.attrs())
            fields = list(combo) + (["shape"] if with_shape else [])
            if not any(all(o.attrs()[f] == want[f] for f in fields) for o in others):
                return tuple(combo)
    return None


@dataclass
class Question:
    question: str
    answer: str
    full_answer: str
    structural: str
    semantic: str
    detailed: str
    global_group: str | None
    local_group: str
    program: list[dict]
    focus: list[str] = field(default_factory=list)  # object ids the question is about
    link: str = ""  # questions sharing a link entail each other
    balanced: bool = True


def _op(operation: str, argument: str, deps: list[int]) -> dict:
    return {"operation": operation, "argument": argument, "dependencies": deps}


def _select(obj: SceneObject, keys: tuple[str, ...], with_shape: bool = True) -> list[dict]:
    prog = [_op("select", f"{obj.shape if with_shape else 'object'} ({obj.oid})", [])]
    for k in keys:
        prog.append(_op(f"filter {k}", obj.attrs()[k], [len(prog) - 1]))
    return prog


def _cap(s: str) -> str:
    return s[0].upper() + s[1:]


def _other_value(rng, attr: str, value: str) -> str:
    return str(rng.choice([v for v in ATTR_VALUES[attr] if v != value]))


ATTR_QUERY = {"color": "What color is the {r}?", "texture": "What pattern does the {r} have?",
              "size": "How big is the {r}?"}
ATTR_DETAIL = {"color": "Color", "texture": "Pattern", "size": "Size"}


def attribute_questions(scene: Scene, rng) -> list[Question]:
    out = []
    for obj in scene.objects:
        keys = unique_ref(scene, obj, rng)
        if keys is None:
            continue
        attr = str(rng.choice([a for a in ATTR_VALUES if a not in keys] or ["color"]))
        if attr in keys:
            continue
        ref = object_phrase(obj.attrs(), keys)
        val = obj.attrs()[attr]
        link = f"{obj.oid}-{attr}"
        sel = _select(obj, keys)
        n = len(sel)
        d = ATTR_DETAIL[attr]
        out.append(Question(ATTR_QUERY[attr].format(r=ref), val, f"The {ref} is {val}.", "query", "attr",
                            f"query{d}", attr, f"10q-{obj.oid}_{attr}", sel + [_op("query", attr, [n - 1])],
                            [obj.oid], link))
        probe = val if rng.random() < 0.5 else _other_value(rng, attr, val)
        yes = probe == val
        out.append(Question(f"Is the {ref} {probe}?", "yes" if yes else "no",
                            f"Yes, the {ref} is {val}." if yes else f"No, the {ref} is {val}.",
                            "verify", "attr", f"verify{d}", None, f"11y-{obj.oid}_{attr}",
                            sel + [_op(f"verify {attr}", probe, [n - 1])], [obj.oid], link))
        alt = _other_value(rng, attr, val)
        pair = [val, alt] if rng.random() < 0.5 else [alt, val]
        out.append(Question(f"Is the {ref} {pair[0]} or {pair[1]}?", val, f"The {ref} is {val}.",
                            "choose", "attr", f"choose{d}", attr, f"12c-{obj.oid}_{attr}",
                            sel + [_op(f"choose {attr}", "|".join(pair), [n - 1])], [obj.oid], link))
    return out


def category_questions(scene: Scene, rng) -> list[Question]:
    out = []
    for obj in scene.objects:
        keys = unique_ref(scene, obj, rng, with_shape=False)
        if keys is None:
            continue
        ref = object_phrase(obj.attrs(), keys, with_shape=False)
        sel = _select(obj, keys, with_shape=False)
        n = len(sel)
        link = f"{obj.oid}-shape"
        out.append(Question(f"What kind of shape is the {ref}?", obj.shape, f"The {ref} is a {obj.shape}.",
                            "query", "cat", "categoryAttr", "shape", f"20q-{obj.oid}_shape",
                            sel + [_op("query", "name", [n - 1])], [obj.oid], link))
        other = str(rng.choice([s for s in SHAPES if s != obj.shape]))
        probe = obj.shape if rng.random() < 0.5 else other
        yes = probe == obj.shape
        out.append(Question(f"Is the {ref} a {probe}?", "yes" if yes else "no",
                            f"{'Yes' if yes else 'No'}, the {ref} is a {obj.shape}.", "verify", "cat",
                            "verifyCategory", None, f"21y-{obj.oid}_shape",
                            sel + [_op("verify name", probe, [n - 1])], [obj.oid], link))
        pair = [obj.shape, other] if rng.random() < 0.5 else [other, obj.shape]
        out.append(Question(f"Is the {ref} a {pair[0]} or a {pair[1]}?", obj.shape,
                            f"The {ref} is a {obj.shape}.", "choose", "cat", "chooseCategory", "shape",
                            f"22c-{obj.oid}_shape", sel + [_op("choose name", "|".join(pair), [n - 1])],
                            [obj.oid], link))
    return out


def _random_description(rng) -> dict[str, str]:
    return {"shape": str(rng.choice(SHAPES)), "color": str(rng.choice(list(COLORS))),
            "size": str(rng.choice(ATTR_VALUES["size"])), "texture": str(rng.choice(TEXTURES))}


def _matches(scene: Scene, attrs: dict[str, str], keys: tuple[str, ...]) -> bool:
    fields = list(keys) + ["shape"]
    return any(all(o.attrs()[f] == attrs[f] for f in fields) for o in scene.objects)


def _probe_description(scene: Scene, rng, want_present: bool):
    """An object description (with 1-2 attributes) that is present or absent in the scene, as asked."""
    for _ in range(30):
        keys = tuple(sorted(rng.choice(["color", "size", "texture"], size=int(rng.integers(1, 3)),
                                       replace=False).tolist()))
        if want_present and scene.objects:
            attrs = scene.objects[int(rng.integers(len(scene.objects)))].attrs()
        else:
            attrs = _random_description(rng)
        if _matches(scene, attrs, keys) == want_present:
            return attrs, keys
    return None


def existence_questions(scene: Scene, rng) -> list[Question]:
    out = []
    for _ in range(2):
        found = _probe_description(scene, rng, rng.random() < 0.5)
        if found is None:
            continue
        attrs, keys = found
        present = _matches(scene, attrs, keys)
        phrase = object_phrase(attrs, keys)
        prog = [_op("select", attrs["shape"], [])] + [_op(f"filter {k}", attrs[k], [i]) for i, k in enumerate(keys)]
        prog.append(_op("exist", "?", [len(prog) - 1]))
        out.append(Question(f"Is there a {phrase}?", "yes" if present else "no",
                            f"Yes, there is a {phrase}." if present else f"No, there are no {phrase}s.",
                            "verify", "obj", "existAttr", None, f"30y-{phrase.replace(' ', '_')}", prog,
                            [], f"exist-{phrase}"))
    # logical or / and over two probes, drawn so that yes and no are equally likely for both kinds
    kind = "or" if rng.random() < 0.5 else "and"
    want_yes = rng.random() < 0.5
    if kind == "and":
        present = (True, True) if want_yes else ((False, False) if rng.random() < 0.34 else (True, False))
    else:
        present = (False, False) if not want_yes else ((True, True) if rng.random() < 0.34 else (True, False))
    if rng.random() < 0.5:
        present = present[::-1]
    a = _probe_description(scene, rng, present[0])
    b = _probe_description(scene, rng, present[1])
    if a is not None and b is not None:
        pa, pb = object_phrase(*a), object_phrase(*b)
        ea, eb = _matches(scene, *a), _matches(scene, *b)
        if pa != pb:
            ans = (ea or eb) if kind == "or" else (ea and eb)
            text = f"Is there a {pa} or a {pb}?" if kind == "or" else f"Are there both a {pa} and a {pb}?"
            prog = [_op("select", a[0]["shape"], []), _op("exist", "?", [0]),
                    _op("select", b[0]["shape"], []), _op("exist", "?", [2]), _op(kind, "", [1, 3])]
            out.append(Question(text, "yes" if ans else "no", f"{'Yes' if ans else 'No'}.",
                                "logical", "obj", f"logic{_cap(kind)}", None, f"31l-{pa}-{pb}", prog))
    return out


def _referable_pair(scene: Scene, rng, min_dx: int = 0):
    """Two random distinct objects that can both be referred to uniquely (at least min_dx apart in x),
    with their phrases and the program that selects both; None when the draw does not qualify."""
    i, j = rng.choice(len(scene.objects), size=2, replace=False)
    a, b = scene.objects[int(i)], scene.objects[int(j)]
    if min_dx and abs(a.x - b.x) < min_dx:
        return None
    ka, kb = unique_ref(scene, a, rng), unique_ref(scene, b, rng)
    if ka is None or kb is None:
        return None
    sa, sb = _select(a, ka), _select(b, kb)
    base = sa + [_op(s["operation"], s["argument"], [d + len(sa) for d in s["dependencies"]]) for s in sb]
    return a, b, object_phrase(a.attrs(), ka), object_phrase(b.attrs(), kb), sa, base


def relation_questions(scene: Scene, rng) -> list[Question]:
    out = []
    for _ in range(2):
        if len(scene.objects) < 2:
            break
        pair = _referable_pair(scene, rng, min_dx=3)
        if pair is None:
            continue
        a, b, ra, rb, sa, base = pair
        side = "left" if a.x < b.x else "right"
        link = f"{a.oid}-{b.oid}-rel"
        probe = side if rng.random() < 0.5 else ("right" if side == "left" else "left")
        yes = probe == side
        out.append(Question(f"Is the {ra} to the {probe} of the {rb}?", "yes" if yes else "no",
                            f"{'Yes' if yes else 'No'}, the {ra} is to the {side} of the {rb}.", "verify",
                            "rel", "relVerify", None, f"40y-{a.oid}-{b.oid}",
                            base + [_op("verify rel", f"{rb},to the {probe} of,s ({b.oid})", [len(sa) - 1, len(base) - 1])],
                            [a.oid, b.oid], link))
        out.append(Question(f"Is the {ra} to the left or to the right of the {rb}?", side,
                            f"The {ra} is to the {side} of the {rb}.", "choose", "rel", "relChooser", "side",
                            f"41c-{a.oid}-{b.oid}",
                            base + [_op("choose rel", f"{rb},to the left of|to the right of,s ({b.oid})", [len(sa) - 1, len(base) - 1])],
                            [a.oid, b.oid], link))
    # query relation: shape of the nearest object on the left of a reference object
    for obj in scene.objects:
        left = [o for o in scene.objects if o.x < obj.x - 2]
        if not left:
            continue
        nearest = max(left, key=lambda o: o.x)
        if sum(1 for o in left if abs(o.x - nearest.x) <= 2) > 1:
            continue
        keys = unique_ref(scene, obj, rng)
        if keys is None:
            continue
        ref = object_phrase(obj.attrs(), keys)
        sel = _select(obj, keys)
        out.append(Question(f"What shape is the nearest object to the left of the {ref}?", nearest.shape,
                            f"The nearest object to the left of the {ref} is a {nearest.shape}.", "query",
                            "rel", "relS", "shape", f"42q-{obj.oid}_left",
                            sel + [_op("relate", f"object,to the left of,s ({nearest.oid})", [len(sel) - 1]),
                                   _op("query", "name", [len(sel)])], [obj.oid, nearest.oid]))
        break
    return out


def compare_questions(scene: Scene, rng) -> list[Question]:
    out = []
    for _ in range(2):
        if len(scene.objects) < 2:
            break
        kind = str(rng.choice(["color", "texture", "size"]))
        # "same colour/pattern?" is mostly "no" for a random pair: look for a pair that answers as drawn
        want_same = rng.random() < 0.5
        pair = None
        for _attempt in range(6):
            pair = _referable_pair(scene, rng)
            if pair is None or kind == "size" or (pair[0].attrs()[kind] == pair[1].attrs()[kind]) == want_same:
                break
        if pair is None:
            continue
        a, b, ra, rb, sa, base = pair
        if kind == "size":
            if a.size == b.size:
                continue
            bigger, other = (a, b) if a.size == "large" else (b, a)
            if bigger.shape == other.shape:
                continue
            out.append(Question(f"Which is bigger, the {ra} or the {rb}?", bigger.shape,
                                f"The {bigger.shape} is bigger.", "compare", "attr", "compareSize", "shape",
                                f"50c-{a.oid}-{b.oid}", base + [_op("choose larger", "", [len(sa) - 1, len(base) - 1])],
                                [a.oid, b.oid]))
            continue
        same = a.attrs()[kind] == b.attrs()[kind]
        word = "color" if kind == "color" else "pattern"
        verb = f"Are the {ra} and the {rb} the same color?" if kind == "color" else \
            f"Do the {ra} and the {rb} have the same pattern?"
        out.append(Question(verb, "yes" if same else "no",
                            f"{'Yes' if same else 'No'}, they {'have the same' if same else 'have different'} {word}.",
                            "compare", "attr", f"same{_cap(word)}", None, f"51s-{a.oid}-{b.oid}",
                            base + [_op(f"same {kind}", "", [len(sa) - 1, len(base) - 1])], [a.oid, b.oid]))
    return out


def global_questions(scene: Scene, rng) -> list[Question]:
    bg = scene.background
    r = rng.random()
    prog = [_op("select", "scene", [])]
    if r < 0.34:
        return [Question("What color is the background?", bg, f"The background is {bg}.", "query", "global",
                         "placeColor", "background", "60q-background", prog + [_op("query", "color", [0])])]
    other = str(rng.choice([b for b in BACKGROUNDS if b != bg]))
    if r < 0.67:
        probe = bg if rng.random() < 0.5 else other
        yes = probe == bg
        return [Question(f"Is the background {probe}?", "yes" if yes else "no",
                         f"{'Yes' if yes else 'No'}, the background is {bg}.", "verify", "global", "placeVerify",
                         None, "61y-background", prog + [_op("verify color", probe, [0])])]
    pair = [bg, other] if rng.random() < 0.5 else [other, bg]
    return [Question(f"Is the background {pair[0]} or {pair[1]}?", bg, f"The background is {bg}.", "choose",
                     "global", "placeChooser", "background", "62c-background",
                     prog + [_op("choose color", "|".join(pair), [0])])]


GENERATORS = (attribute_questions, category_questions, existence_questions, relation_questions,
              compare_questions, global_questions)


def scene_questions(scene: Scene, rng, per_image: int) -> list[Question]:
    """Up to `per_image` questions, spread across the generators so every type is represented."""
    pools = [g(scene, rng) for g in GENERATORS]
    for p in pools:
        rng.shuffle(p)
    chosen: list[Question] = []
    while len(chosen) < per_image and any(pools):
        for p in pools:
            if p and len(chosen) < per_image:
                q = p.pop()
                chosen.append(q)
                # keep linked questions together so entailment is real
                for other in [o for o in p if q.link and o.link == q.link]:
                    if len(chosen) < per_image + 2:
                        chosen.append(other)
                        p.remove(other)
    return chosen


def counting_question(scene: Scene, shape: str) -> tuple[str, str]:
    return f"How many {PLURAL[shape]} are there in the image?", str(sum(o.shape == shape for o in scene.objects))


def identification_question(scene: Scene, rng) -> tuple[str, str]:
    present = rng.random() < 0.5 and scene.objects
    if present:
        o = scene.objects[int(rng.integers(len(scene.objects)))]
        color, shape = o.color, o.shape
    else:
        for _ in range(20):
            color, shape = str(rng.choice(list(COLORS))), str(rng.choice(SHAPES))
            if not any(o.color == color and o.shape == shape for o in scene.objects):
                break
    exists = any(o.color == color and o.shape == shape for o in scene.objects)
    return f"Does {color} {shape} exist in the image?", "Yes." if exists else "No."
