"""Street names of a world's links: the distinct names once, and an index per link.

    names = LinkNames.of(["Mannerheimintie", "", "Mannerheimintie"])
    names.text                 # ["Mannerheimintie"]
    names.link                 # int32[3]: [0, -1, 0]
    names.name(1)              # "" (unnamed)

Names are for people, not for the model: they take no part in the state hash, and a world
saved before they existed loads without them (every link unnamed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Their keys in world.npz, beside the arrays that define the state.
LINK_KEY = "names.link"
TEXT_KEY = "names.text"


@dataclass
class LinkNames:
    text: list[str]  # distinct names, in order of first use
    link: np.ndarray  # int32[L], index into text, -1 for an unnamed link

    @classmethod
    def of(cls, per_link: list[str]) -> LinkNames:
        """From one name per link ("" for none)."""
        index: dict[str, int] = {}
        link = np.array([index.setdefault(n, len(index)) if n else -1 for n in per_link], dtype=np.int32)
        return cls(list(index), link)

    @classmethod
    def unnamed(cls, n_links: int) -> LinkNames:
        return cls([], np.full(n_links, -1, dtype=np.int32))

    def name(self, link: int) -> str:
        i = int(self.link[link])
        return self.text[i] if i >= 0 else ""

    def problem(self, n_links: int) -> str | None:
        """Why these names do not fit a network of n_links links, or None."""
        if self.link.shape != (n_links,):
            return f"names.link has shape {self.link.shape}, expected ({n_links},)"
        if self.link.size and (self.link.min() < -1 or self.link.max() >= len(self.text)):
            return f"names.link refers to a name outside 0..{len(self.text) - 1}"
        return None

    def arrays(self) -> dict[str, np.ndarray]:
        """For world.npz: the index, and the names as a fixed-width unicode array (which
        numpy stores without pickling)."""
        return {LINK_KEY: self.link, TEXT_KEY: np.array(self.text, dtype=np.str_)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_links: int) -> LinkNames:
        """From world.npz's arrays; unnamed if the file has none."""
        if LINK_KEY not in arrays:
            return cls.unnamed(n_links)
        text = [str(t) for t in np.asarray(arrays.get(TEXT_KEY, np.zeros(0, np.str_))).reshape(-1)]
        return cls(text, np.ascontiguousarray(arrays[LINK_KEY], dtype=np.int32))
