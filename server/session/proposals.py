"""Proposals: drafts checked against the rules and the map, their versions, the talk about
them, the ballots, and the facilitator's decisions.

    book = ProposalBook(bundled("workshop"))
    quiet = book.propose(world, ada, "Quiet school street", "Children walk here.",
                         [CloseLink(link=17)], tick=120, phase=clock.phase)
    book.comment(bob, quiet.id, "What about deliveries?", tick=130)
    book.vote(bob, {quiet.id}, tick=400)            # approval methods: the set approved
    edits = book.adopt(planned_world, quiet.id, facilitator, tick=500)  # to schedule
    undo = book.roll_back(planned_world, quiet.id, facilitator, tick=900)

Every refusal is a CommandError with a stable code and a sentence naming what is wrong.
Nothing is ever erased: an amendment is a new version, a rollback a new status with the
inverse edits to apply. The book changes no world: adopt and roll_back return the world
commands for the caller to log and apply at a tick boundary, so replaying the log (the
same calls in the same order) rebuilds the book and the world alike.

Ballots are final: one per player, a second is refused ("already_voted"), as a paper
ballot in a box; a player who wants to change it should wait until they are sure.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NewType

import msgspec
import numpy as np
from agora.server import protocol as p
from agora.server.protocol import Command
from agora.server.session import roles
from agora.server.session.errors import CommandError
from agora.server.session.players import Player, PlayerId, Role
from agora.server.session.voting import ProposalId, Vote
from agora.server.session.rulesets import (
    Intervention,
    Majority,
    Parameter,
    Phase,
    RuleSet,
)
from agora.server.world import edits
from agora.server.world.types import LandUse, RoadClass
from agora.server.world.world import World

CommentId = NewType("CommentId", int)

MAX_TITLE = 120
MAX_RATIONALE = 4_000
MAX_COMMENT = 2_000
MAX_CHAT = 500
MAX_REASON = 500
MAX_INTERVENTIONS = 50
# Fields of a world command that say where it goes; the others are its parameters.
_PLACEMENT = frozenset({"link", "links", "route", "stops", "line", "from_node", "to_node", "cells"})


class Status(StrEnum):
    DRAFT = "draft"  # seen by its author only
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class Draft:
    """A checked draft: what a version of a proposal holds, before it has an id."""

    title: str
    rationale: str
    interventions: tuple[Command, ...]
    costs_eur: tuple[int, ...]  # of each intervention, whole euros
    cost_eur: int


@dataclass(frozen=True)
class Version:
    number: int  # 1, 2, ...
    tick: int  # when it was made
    title: str
    rationale: str
    interventions: tuple[Command, ...]
    costs_eur: tuple[int, ...]
    cost_eur: int


@dataclass(frozen=True)
class StatusChange:
    tick: int
    status: Status
    by: PlayerId
    by_name: str
    reason: str = ""


@dataclass(frozen=True)
class Comment:
    id: CommentId
    proposal: ProposalId
    parent: CommentId | None  # the comment it replies to
    author: PlayerId
    author_name: str
    text: str
    tick: int


@dataclass(frozen=True)
class ChatMessage:
    seq: int
    author: PlayerId
    author_name: str
    text: str
    tick: int
    announcement: bool = False  # from the facilitator, shown to the whole room


@dataclass(frozen=True)
class ProposalView:
    """Everything a player sees about a proposal (not who voted how)."""

    id: ProposalId
    author: PlayerId
    author_name: str
    status: Status
    version: Version  # the latest
    versions: tuple[Version, ...]  # every version, oldest first
    history: tuple[StatusChange, ...]
    comments: int
    reversible: bool  # every intervention has an inverse: adopted, it can be rolled back


@dataclass
class _Proposal:
    id: ProposalId
    author: Player
    versions: list[Version]
    history: list[StatusChange]
    undo: tuple[Command, ...] | None = None  # once adopted: the edits that roll it back
    touched: frozenset[tuple[str, object]] = frozenset()  # once adopted: links, lines, cells
    adopted_seq: int = 0

    @property
    def status(self) -> Status:
        return self.history[-1].status

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def name(self) -> str:
        return f"proposal {self.id} ({self.latest.title})"


# Edits the world can take back with another edit (close/reopen, and restoring old values).
_INVERTIBLE = (p.CloseLink, p.ReopenLink, p.SetLanes, p.SetSpeedLimit, p.SetToll, p.SetHeadway)


def _text(text: str, limit: int, what: str, code: str, *, required: bool = True) -> str:
    if len(text) > limit:
        raise CommandError(f"{code}_too_long", f"Keep the {what} to {limit:,} characters; this one has {len(text):,}.")
    cleaned = text.strip()
    if required and not cleaned:
        raise CommandError(f"empty_{code}", f"The {what} is empty; write something first.")
    return cleaned


def _links(command: Command) -> list[int]:
    for name in ("link", "links", "route"):
        value = getattr(command, name, None)
        if value is not None:
            return [value] if isinstance(value, int) else list(value)
    return []


def _cells(command: Command) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in getattr(command, "cells", ())]


def _road_length_m(world: World, command: p.AddRoad) -> float:
    n = world.network
    a, b = command.from_node, command.to_node
    return float(math.hypot(n.node_x_m[b] - n.node_x_m[a], n.node_y_m[b] - n.node_y_m[a]))


def _check_parameter(label: str, name: str, spec: Parameter, value: object) -> None:
    shown = spec.title or name
    if spec.choices:
        if not any(type(value) is type(choice) and value == choice for choice in spec.choices):
            raise CommandError("not_a_choice", f"{label}: {shown} must be one of "
                               f"{', '.join(map(str, spec.choices))}; {value!r} is not.")
        return
    assert spec.min is not None and spec.max is not None  # the loader demands a range without choices
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CommandError("bad_parameter", f"{label}: {shown} must be a number, not {value!r}.")
    if not spec.min <= value <= spec.max:
        raise CommandError("out_of_range", f"{label}: {shown} must lie between {spec.min:g} and {spec.max:g} "
                           f"{spec.unit}; {value:g} is outside.".replace(" ;", ";"))
    if spec.integer and not float(value).is_integer():
        raise CommandError("not_whole", f"{label}: {shown} must be a whole number, not {value:g}.")


def _inverse(world: World, command: Command) -> tuple[Command, ...] | None:
    """The edits that undo `command` on `world` as it is before `command` applies, or None."""
    n = world.network

    def restore(links: list[int], old: np.ndarray) -> dict[float, list[int]]:
        groups: dict[float, list[int]] = {}
        for link in links:
            groups.setdefault(float(old[link]), []).append(link)
        return groups

    match command:
        case p.CloseLink(link=link):
            return (p.ReopenLink(link=link),)
        case p.ReopenLink(link=link):
            return (p.CloseLink(link=link),)
        case p.SetLanes(links=links):
            return tuple(p.SetLanes(links=ls, lanes=int(v)) for v, ls in restore(links, n.lanes).items())
        case p.SetSpeedLimit(links=links):
            return tuple(p.SetSpeedLimit(links=ls, speed_kmh=v) for v, ls in restore(links, n.speed_kmh).items())
        case p.SetToll(links=links):
            return tuple(p.SetToll(links=ls, toll_eur=v) for v, ls in restore(links, n.toll_eur).items())
        case p.SetHeadway(line=line):
            return (p.SetHeadway(line=line, headway_min=float(world.lines.headway_min[line])),)
    return None


def _touched(world: World, command: Command) -> set[tuple[str, object]]:
    """What an edit changes, on `world` before it applies: to tell whether two adopted
    proposals overlap."""
    match command:
        case p.CloseLink(link=link) | p.ReopenLink(link=link) | p.MakeOneWay(link=link):
            return {("link", link) for link in edits.street(world, link)}
        case p.SetHeadway(line=line):
            return {("line", line)}
        case p.AddBusLine():
            return {("line", world.lines.n_lines)} | {("link", link) for link in _links(command)}
        case p.AddRoad(two_way=two_way):
            return {("link", world.network.n_links + i) for i in range(2 if two_way else 1)}
    return {("link", link) for link in _links(command)} | {("cell", cell) for cell in _cells(command)}


class ProposalBook:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._proposals: dict[ProposalId, _Proposal] = {}
        self._comments: dict[CommentId, Comment] = {}
        self.chat_log: list[ChatMessage] = []
        self._ballots: dict[PlayerId, frozenset[ProposalId] | dict[ProposalId, Vote]] = {}
        self._adoptions = 0

    # -- money -------------------------------------------------------------------------

    @property
    def budget_eur(self) -> int:
        return round(self.rules.budget.total_eur)

    def spent_eur(self) -> int:
        return sum(q.latest.cost_eur for q in self._proposals.values() if q.status == Status.ADOPTED)

    def remaining_eur(self) -> int:
        return self.budget_eur - self.spent_eur()

    # -- checking drafts ---------------------------------------------------------------

    def validate_interventions(self, world: World, player: Player, interventions: Sequence[Command],
                               phase: Phase | None) -> tuple[int, ...]:
        """Each intervention's cost in whole euros, once it is in the catalogue, opened by
        the phase (for players), within its parameters' ranges and placed where it may go on
        `world` as the interventions before it leave it. Nothing is changed."""
        if not interventions:
            raise CommandError("no_interventions", "A proposal needs at least one intervention: draw one on the map.")
        if len(interventions) > MAX_INTERVENTIONS:
            raise CommandError("too_many_interventions", f"A proposal holds at most {MAX_INTERVENTIONS} "
                               f"interventions; this one has {len(interventions)}.")
        work = world.copy()
        costs = []
        for i, command in enumerate(interventions, 1):
            tag = p.tag_of(command)
            entries = [e for e in self.rules.interventions.values() if e.edit == tag]
            if not entries:
                offered = ", ".join(e.title.lower() for e in self.rules.interventions.values())
                raise CommandError("not_in_catalogue", f"Intervention {i} ({tag.replace('_', ' ')}) is not offered "
                                   f"in this session; it offers: {offered}.")
            first: CommandError | None = None
            for entry in entries:  # several catalogue entries may share an edit: the first that takes it
                try:
                    costs.append(self._check(work, player.role, phase, f"Intervention {i} ({entry.title})", entry, command))
                    break
                except CommandError as exc:
                    first = first or exc
            else:
                assert first is not None
                raise first
            edits.apply(work, command)
        return tuple(costs)

    def _check(self, work: World, role: Role, phase: Phase | None, label: str, entry: Intervention,
               command: Command) -> int:
        if role != Role.FACILITATOR and not roles.opens(phase, entry.name):
            now = f"the {phase.title} phase does not open it" if phase else "no phase is running"
            raise CommandError("wrong_phase", f"{label}: {now}.")
        parameters = {f.name: getattr(command, f.name) for f in msgspec.structs.fields(command) if f.name not in _PLACEMENT}
        for name, value in parameters.items():
            spec = entry.parameters.get(name)
            if spec is not None:
                _check_parameter(label, name, spec, value)
                continue
            default = next(f.default for f in msgspec.structs.fields(command) if f.name == name)
            if value != default:
                raise CommandError("fixed_parameter", f"{label}: {name.replace('_', ' ')} is fixed at {default!r} "
                                   f"in this session.")
        place = entry.placement
        links, cells = _links(command), _cells(command)
        count, unit = (len(cells), "cells") if place.on == "cells" else (len(links), "links")
        if place.max_count is not None and count > place.max_count:
            raise CommandError("too_many_places", f"{label}: at most {place.max_count} {unit}, not {count}.")
        try:
            edits.validate(work, command)
        except edits.EditError as exc:
            raise CommandError(exc.code, f"{label}: {exc.message}") from exc
        for link in links if place.road_classes else ():
            road_class = RoadClass(int(work.network.road_class[link])).name.lower()
            if road_class not in place.road_classes:
                raise CommandError("wrong_road_class", f"{label}: link {link} is a {road_class} road; this goes on "
                                   f"{' or '.join(place.road_classes)} roads.")
        for row, col in cells if place.land_uses else ():
            use = LandUse(int(work.grid.land_use[row, col])).name
            if use not in place.land_uses:
                raise CommandError("wrong_land_use", f"{label}: cell ({row}, {col}) is {use.lower()}; this goes on "
                                   f"{' or '.join(u.lower() for u in place.land_uses)}.")
        quantity = 1.0
        if isinstance(command, p.AddRoad):
            quantity = _road_length_m(work, command)
            if place.max_length_m is not None and quantity > place.max_length_m:
                raise CommandError("road_too_long", f"{label}: that road would be {quantity:.0f} m long; "
                                   f"this session builds roads of at most {place.max_length_m:.0f} m.")
        elif entry.cost.per in ("link", "cell"):
            quantity = float(count)
        elif entry.cost.per == "m2":
            quantity = count * work.meta.cell_m ** 2
        elif entry.cost.per == "m":
            route = [int(x) for x in work.lines.route(command.line)] if isinstance(command, p.SetHeadway) else links
            quantity = float(work.network.length_m[route].sum())
        numbers = {k: float(v) for k, v in parameters.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        return round(entry.cost_eur(quantity, numbers))

    def validate_draft(self, world: World, player: Player, title: str, rationale: str,
                       interventions: Sequence[Command], phase: Phase | None) -> Draft:
        """A draft as a proposal would hold it, or a CommandError: sizes, each intervention
        (validate_interventions) and the total cost against what the budget has left."""
        title = _text(" ".join(title.split()), MAX_TITLE, "title", "title")
        rationale = _text(rationale, MAX_RATIONALE, "rationale", "rationale", required=False)
        costs = self.validate_interventions(world, player, interventions, phase)
        total = sum(costs)
        if total > self.remaining_eur():
            raise CommandError("over_budget", f"This proposal costs EUR {total:,}, more than the EUR "
                               f"{self.remaining_eur():,} the budget has left (EUR {self.budget_eur:,}, of which "
                               f"EUR {self.spent_eur():,} went to adopted proposals).")
        return Draft(title, rationale, tuple(interventions), costs, total)

    # -- a proposal's life -------------------------------------------------------------

    def draft(self, world: World, player: Player, title: str, rationale: str, interventions: Sequence[Command],
              *, tick: int, phase: Phase | None) -> ProposalView:
        """Keep a checked draft, seen by its author only, to amend and submit later."""
        checked = self.validate_draft(world, player, title, rationale, interventions, phase)
        pid = ProposalId(len(self._proposals) + 1)
        version = Version(1, tick, checked.title, checked.rationale, checked.interventions, checked.costs_eur,
                          checked.cost_eur)
        self._proposals[pid] = _Proposal(pid, player, [version], [StatusChange(tick, Status.DRAFT, player.id, player.name)])
        return self.view(pid, player)

    def propose(self, world: World, player: Player, title: str, rationale: str, interventions: Sequence[Command],
                *, tick: int, phase: Phase | None) -> ProposalView:
        """Draft and submit at once."""
        return self.submit(player, self.draft(world, player, title, rationale, interventions, tick=tick, phase=phase).id,
                           tick=tick)

    def submit(self, player: Player, pid: ProposalId, *, tick: int) -> ProposalView:
        proposal = self._own(player, pid, "submit")
        self._move(proposal, "submit", (Status.DRAFT,), Status.SUBMITTED, player, tick)
        return self.view(pid, player)

    def amend(self, world: World, player: Player, pid: ProposalId, title: str, rationale: str,
              interventions: Sequence[Command], *, tick: int, phase: Phase | None) -> ProposalView:
        """A new version; the earlier ones stay in the proposal's history."""
        proposal = self._own(player, pid, "amend")
        self._expect(proposal, "amend", (Status.DRAFT, Status.SUBMITTED))
        if any(pid in ballot for ballot in self._ballots.values()):
            raise CommandError("has_votes", f"Votes have been cast on {proposal.name}; it cannot change under them.")
        checked = self.validate_draft(world, player, title, rationale, interventions, phase)
        proposal.versions.append(Version(len(proposal.versions) + 1, tick, checked.title, checked.rationale,
                                         checked.interventions, checked.costs_eur, checked.cost_eur))
        return self.view(pid, player)

    def withdraw(self, player: Player, pid: ProposalId, *, tick: int, reason: str = "") -> ProposalView:
        proposal = self._own(player, pid, "withdraw")
        reason = _text(reason, MAX_REASON, "reason", "reason", required=False)
        self._move(proposal, "withdraw", (Status.DRAFT, Status.SUBMITTED), Status.WITHDRAWN, player, tick, reason)
        return self.view(pid, player)

    # -- the facilitator's decisions ---------------------------------------------------

    def adopt(self, world: World, pid: ProposalId, by: Player, *, tick: int) -> tuple[Command, ...]:
        """Adopt the proposal's latest version: the world commands to log and apply, in order,
        at the next tick boundary. `world` is the world they will apply to (with every edit
        already scheduled); they are checked on a copy of it."""
        proposal = self._get(pid, by)
        self._expect(proposal, "adopt", (Status.SUBMITTED,))
        version = proposal.latest
        if version.cost_eur > self.remaining_eur():
            raise CommandError("over_budget", f"Adopting {proposal.name} would cost EUR {version.cost_eur:,}; "
                               f"the budget has EUR {self.remaining_eur():,} left.")
        work = world.copy()
        undo: list[tuple[Command, ...]] = []
        touched: set[tuple[str, object]] = set()
        reversible = True
        for i, command in enumerate(version.interventions, 1):
            inverse = _inverse(work, command)
            reversible = reversible and inverse is not None
            undo.append(inverse or ())
            touched |= _touched(work, command)
            try:
                edits.apply(work, command)
            except edits.EditError as exc:
                raise CommandError(exc.code, f"{proposal.name} cannot be adopted as the town is now: "
                                   f"intervention {i}: {exc.message}") from exc
        self._adoptions += 1
        proposal.undo = tuple(c for inverse in reversed(undo) for c in inverse) if reversible else None
        proposal.touched, proposal.adopted_seq = frozenset(touched), self._adoptions
        self._move(proposal, "adopt", (Status.SUBMITTED,), Status.ADOPTED, by, tick)
        return version.interventions

    def reject(self, pid: ProposalId, by: Player, *, tick: int, reason: str = "") -> ProposalView:
        proposal = self._get(pid, by)
        reason = _text(reason, MAX_REASON, "reason", "reason", required=False)
        self._move(proposal, "reject", (Status.SUBMITTED,), Status.REJECTED, by, tick, reason)
        return self.view(pid, by)

    def roll_back(self, world: World, pid: ProposalId, by: Player, *, tick: int) -> tuple[Command, ...]:
        """Undo an adopted proposal: the inverse world commands to log and apply. Refused
        when an intervention has no inverse, or a proposal adopted later changed the same
        streets, lines or cells (roll that one back first)."""
        proposal = self._get(pid, by)
        self._expect(proposal, "roll back", (Status.ADOPTED,))
        if proposal.undo is None:
            kinds = sorted({p.tag_of(c).replace("_", " ") for c in proposal.latest.interventions
                            if not isinstance(c, _INVERTIBLE)})
            raise CommandError("no_inverse", f"{proposal.name} cannot be rolled back: the world has no edit that "
                               f"undoes {', '.join(kinds)}.")
        for later in self._proposals.values():
            if later.status == Status.ADOPTED and later.adopted_seq > proposal.adopted_seq and later.touched & proposal.touched:
                raise CommandError("roll_back_later_first", f"{later.name}, adopted after {proposal.name}, changed the "
                                   "same streets, lines or cells; roll it back first.")
        work = world.copy()
        for command in proposal.undo:
            try:
                edits.apply(work, command)
            except edits.EditError as exc:
                raise CommandError("cannot_roll_back", f"{proposal.name} cannot be rolled back as the town is now: "
                                   f"{exc.message}") from exc
        self._move(proposal, "roll back", (Status.ADOPTED,), Status.ROLLED_BACK, by, tick)
        return proposal.undo

    # -- talk --------------------------------------------------------------------------

    def comment(self, player: Player, pid: ProposalId, text: str, *, tick: int,
                parent: CommentId | None = None) -> Comment:
        """A comment under a proposal, or a reply to one of its comments."""
        text = _text(text, MAX_COMMENT, "comment", "comment")
        proposal = self._get(pid, player)
        if proposal.status == Status.DRAFT:
            raise CommandError("not_submitted", f"{proposal.name} is a draft; comments open when it is submitted.")
        if parent is not None and (parent not in self._comments or self._comments[parent].proposal != pid):
            raise CommandError("no_such_comment", f"There is no comment {parent} under {proposal.name} to reply to.")
        comment = Comment(CommentId(len(self._comments) + 1), pid, parent, player.id, player.name, text, tick)
        self._comments[comment.id] = comment
        return comment

    def thread(self, pid: ProposalId) -> tuple[tuple[Comment, int], ...]:
        """The comments under a proposal in reading order, each with its depth (0: a comment,
        1: a reply to it, ...): every reply right after what it answers, oldest first."""
        children: dict[CommentId | None, list[Comment]] = {}
        for comment in self._comments.values():
            if comment.proposal == pid:
                children.setdefault(comment.parent, []).append(comment)
        out: list[tuple[Comment, int]] = []
        stack = [(c, 0) for c in reversed(children.get(None, []))]
        while stack:
            comment, depth = stack.pop()
            out.append((comment, depth))
            stack.extend((c, depth + 1) for c in reversed(children.get(comment.id, [])))
        return tuple(out)

    def chat(self, player: Player, text: str, *, tick: int) -> ChatMessage:
        return self._say(player, _text(text, MAX_CHAT, "message", "chat"), tick, announcement=False)

    def announce(self, player: Player, text: str, *, tick: int) -> ChatMessage:
        return self._say(player, _text(text, MAX_CHAT, "announcement", "announcement"), tick, announcement=True)

    def _say(self, player: Player, text: str, tick: int, *, announcement: bool) -> ChatMessage:
        message = ChatMessage(len(self.chat_log) + 1, player.id, player.name, text, tick, announcement)
        self.chat_log.append(message)
        return message

    # -- ballots -----------------------------------------------------------------------

    def vote(self, player: Player, choices: Mapping[ProposalId, Vote] | Collection[ProposalId], *, tick: int) -> None:
        """Hand in a ballot: for majority voting yes/no/abstain by proposal, for the other
        methods the set of proposals approved. One ballot per player, final."""
        if player.id in self._ballots:
            raise CommandError("already_voted", "You have voted already; a ballot cannot be changed or cast twice.")
        majority = isinstance(self.rules.voting, Majority)
        if majority != isinstance(choices, Mapping):
            wanted = "yes, no or abstain on each proposal" if majority else "the set of proposals you approve"
            raise CommandError("wrong_ballot", f"This session votes by {self.rules.voting.__struct_config__.tag}: "
                               f"give {wanted}.")
        if not choices:
            raise CommandError("empty_ballot", "The ballot is empty; vote on at least one proposal, or hand in none.")
        for pid in choices:
            proposal = self._get(pid, player)
            if proposal.status == Status.WITHDRAWN:
                raise CommandError("proposal_withdrawn", f"{proposal.name} was withdrawn; it is no longer on the ballot.")
            if proposal.status != Status.SUBMITTED:
                raise CommandError("not_on_ballot", f"{proposal.name} is {proposal.status.value}; only submitted "
                                   "proposals are on the ballot.")
        if isinstance(choices, Mapping):
            if not all(isinstance(v, str) and v in set(Vote) for v in choices.values()):
                raise CommandError("wrong_ballot", "Vote yes, no or abstain on each proposal.")
            self._ballots[player.id] = {pid: Vote(v) for pid, v in sorted(choices.items())}
        else:
            self._ballots[player.id] = frozenset(choices)

    def has_voted(self, player: Player) -> bool:
        return player.id in self._ballots

    def candidates(self) -> tuple[ProposalView, ...]:
        """The proposals on the ballot (submitted), in id order."""
        return tuple(self._view(q) for q in self._proposals.values() if q.status == Status.SUBMITTED)

    def approval_ballots(self) -> dict[PlayerId, frozenset[ProposalId]]:
        """For voting.approval / greedy_budget / equal_shares: each voter's approvals among
        the candidates (a ballot whose proposals were all withdrawn still counts its voter)."""
        on = {q.id for q in self.candidates()}
        return {v: frozenset(b) & on for v, b in sorted(self._ballots.items()) if isinstance(b, frozenset)}

    def majority_ballots(self) -> dict[PlayerId, dict[ProposalId, Vote]]:
        """For voting.majority: each voter's yes/no/abstain on the candidates."""
        on = {q.id for q in self.candidates()}
        return {v: {pid: vote for pid, vote in b.items() if pid in on}
                for v, b in sorted(self._ballots.items()) if isinstance(b, dict)}

    # -- what players see --------------------------------------------------------------

    def view(self, pid: ProposalId, viewer: Player) -> ProposalView:
        return self._view(self._get(pid, viewer))

    def visible(self, viewer: Player) -> list[ProposalView]:
        """Every proposal `viewer` may see (others' drafts are private), in id order."""
        return [self._view(q) for q in self._proposals.values() if q.status != Status.DRAFT or q.author.id == viewer.id]

    def _view(self, q: _Proposal) -> ProposalView:
        return ProposalView(
            q.id, q.author.id, q.author.name, q.status, q.latest, tuple(q.versions), tuple(q.history),
            sum(1 for c in self._comments.values() if c.proposal == q.id),
            all(isinstance(c, _INVERTIBLE) for c in q.latest.interventions),
        )

    # -- the whole record --------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything the book holds, as plain data (dicts, lists, strings, numbers) in a
        fixed order, ids ascending: for a state hash or to compare two books. It holds
        drafts, ballots and undo edits, which players never see: not for the wire."""
        proposals = [
            {"id": int(q.id), "author": int(q.author.id), "versions": q.versions, "history": q.history,
             "undo": q.undo, "touched": sorted(map(repr, q.touched)), "adopted_seq": q.adopted_seq}
            for _, q in sorted(self._proposals.items())
        ]
        ballots = [[int(voter), sorted(b) if isinstance(b, frozenset) else sorted(b.items())]
                   for voter, b in sorted(self._ballots.items())]
        record = {"proposals": proposals, "comments": [c for _, c in sorted(self._comments.items())],
                  "chat": self.chat_log, "ballots": ballots, "adoptions": self._adoptions}
        plain: dict[str, Any] = msgspec.to_builtins(record)
        return plain

    # -- helpers -----------------------------------------------------------------------

    def _get(self, pid: ProposalId, viewer: Player) -> _Proposal:
        proposal = self._proposals.get(pid)
        if proposal is None or (proposal.status == Status.DRAFT and proposal.author.id != viewer.id):
            raise CommandError("no_such_proposal", f"There is no proposal {pid}.")
        return proposal

    def _own(self, player: Player, pid: ProposalId, action: str) -> _Proposal:
        proposal = self._get(pid, player)
        if proposal.author.id != player.id:
            raise CommandError("not_author", f"Only {proposal.author.name}, who wrote {proposal.name}, can {action} it.")
        return proposal

    def _expect(self, proposal: _Proposal, action: str, expected: tuple[Status, ...]) -> None:
        if proposal.status not in expected:
            raise CommandError("wrong_status", f"Cannot {action} {proposal.name}: it is {proposal.status.value}; "
                               f"expected it to be {' or '.join(s.value for s in expected)}.")

    def _move(self, proposal: _Proposal, action: str, expected: tuple[Status, ...], to: Status, by: Player,
              tick: int, reason: str = "") -> None:
        self._expect(proposal, action, expected)
        proposal.history.append(StatusChange(tick, to, by.id, by.name, reason))
