"""Translate the game (session/game.py) into wire messages (protocol.py), and nothing else."""

from __future__ import annotations

from agora.server import protocol as p
from agora.server.session import voting
from agora.server.session.game import CountResult, Game
from agora.server.session.players import Player, Roster
from agora.server.session.proposals import ProposalView

CHAT_TAIL = 50  # chat lines a Game message carries


def phase_info(game: Game) -> p.PhaseInfo:
    view = game.clock.view()
    return p.PhaseInfo(state=view.state.value, index=view.index, count=view.count, name=view.name,
                       title=view.title, minutes=view.minutes, remaining_s=view.remaining_s, speed=view.speed,
                       opens=list(view.opens),
                       plan=[p.PhaseStep(ph.name, ph.title, ph.minutes) for ph in game.rules.phases])


def proposal_info(game: Game, q: ProposalView) -> p.ProposalInfo:
    return p.ProposalInfo(
        id=int(q.id), author_id=int(q.author), author=q.author_name, status=q.status.value,
        versions=[p.VersionInfo(v.number, v.tick, v.title, v.rationale, list(v.interventions), list(v.costs_eur),
                                v.cost_eur) for v in q.versions],
        history=[p.StatusInfo(h.tick, h.status.value, h.by_name, h.reason) for h in q.history],
        comments=[p.CommentInfo(int(c.id), None if c.parent is None else int(c.parent), depth, c.author_name, c.text,
                                c.tick) for c, depth in game.book.thread(q.id)],
        reversible=q.reversible,
    )


def game_message(game: Game, roster: Roster, viewer: Player, tick: int) -> p.Game:
    """What `viewer` may see of the game: every proposal but others' drafts, the chat's tail."""
    book, moderation = game.book, game.moderation
    return p.Game(
        tick=tick,
        rules=game.rules.name,
        voting=str(game.rules.voting.__struct_config__.tag),
        phase=phase_info(game),
        budget_eur=book.budget_eur,
        spent_eur=book.spent_eur(),
        proposals=[proposal_info(game, q) for q in book.visible(viewer)],
        chat=[p.ChatLine(m.seq, m.author_name, m.text, m.tick, m.announcement) for m in book.chat_log[-CHAT_TAIL:]],
        players=[p.PlayerInfo(int(x.id), x.name, x.role.value, x.id in moderation.muted,
                              x.id in moderation.removed) for x in roster],
        voted=book.has_voted(viewer),
    )


def vote_result_message(result: CountResult, tick: int) -> p.VoteResult:
    match result:
        case voting.MajorityResult():
            return p.VoteResult(tick, "majority", [int(w) for w in result.winners],
                                [p.Tally(int(t.proposal), t.outcome.value, t.reason, yes=t.yes, no=t.no, abstain=t.abstain)
                                 for t in result.tallies], result.turnout, result.explanation)
        case voting.ApprovalResult():
            return p.VoteResult(tick, "approval", [int(w) for w in result.winners],
                                [p.Tally(int(t.proposal), t.outcome.value, t.reason, approvals=t.approvals)
                                 for t in result.tallies], result.voters, result.explanation)
        case voting.BudgetResult():
            method = "pb_greedy" if result.share is None else "pb_equal_shares"
            return p.VoteResult(tick, method, [int(w) for w in result.winners],
                                [p.Tally(int(t.proposal), t.outcome.value, t.reason, approvals=t.approvals,
                                         cost_eur=t.cost) for t in result.tallies],
                                result.voters, result.explanation, budget_eur=result.budget, spent_eur=result.spent)
    raise TypeError(f"not a count: {result!r}")
