"""The words of the reports: every sentence and label a reader sees, in one catalogue.

The analysis library returns codes and numbers (a dimension id, a cause code such as
``"handover"``, Hedges' g, p-values); :mod:`survey.services.presenter` turns them into
sentences with the messages below. A message is a template with named ``{fields}``;
:func:`phrase` fills them and returns :class:`Segment` s, so that a field can be a team
name the page links to its team report, or a number set in bold, without any markup in
the message itself. The messages are written in English and translated by the product's
gettext catalogue (:mod:`survey.i18n`); a message the catalogue lacks is shown in English.
Numbers are formatted by :func:`number` with the language's separators (Babel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from survey.i18n import N_, format_number, translate

__all__ = ["CAUSE_TEXT", "MESSAGES", "OWNERS", "PRACTICES", "Segment", "number", "phrase", "say"]


@dataclass(frozen=True)
class Segment:
    """A run of text in a sentence: plain, bold, or a team's name (linked when it is shown)."""

    text: str
    #: Team id whose report this names (the page links it if that team is shown).
    team: int | None = None
    strong: bool = False
    #: A link within the report page (``"#lead-definition"``).
    href: str | None = None
    #: Text people typed (an action's title, say): shown as typed, marked for translators and
    #: translation tools to leave alone (``translate="no"``).
    literal: bool = False


Phrase = tuple[Segment, ...]

#: Message key -> template, in English; the catalogue translates it (survey/translations).
MESSAGES: dict[str, str] = {
    "cover.title": N_("Sales and marketing alignment report"),
    "cover.dates": N_("{opens} to {closes}"),
    "cover.opened": N_("opened {opens}"),
    "cover.responses": N_("{submitted} of {invited} invited people answered ({rate})"),
    "cover.responses_no_invites": N_("{submitted} people answered"),
    "cover.too_few": N_("Fewer than {threshold} people answered, so no result can be shown."),
    "cover.release": N_("Results release {number} of {date}"),
    "cover.open_wave": N_("The wave is still open: answers given later appear in a later release."),
    "cover.threshold": N_(
        "Results are shown only for groups of at least {threshold} people, comments only for groups "
        "of at least {comment_threshold}; nobody's individual answers can be seen."
    ),
    "report.nothing": N_(
        "Too few people answered this wave for any result to be shown: fewer than {threshold} responses "
        "(the smallest group Mindgap reports, so that nobody's answers can be worked out)."
    ),
    "decision.heading": N_("The decision in one page"),
    "headline.label": N_("alignment between sales and marketing (0–100)"),
    "headline.interval": N_("95 % interval {low}–{high}"),
    "headline.basis": N_(
        "Compares the {n_sales} people in sales and the {n_marketing} in marketing who belong to teams "
        "large enough to be shown on their own."
    ),
    "headline.meaning": N_(
        "100 means the two functions answer alike. At 80 they sit about half a standard deviation "
        "apart on average across the dimensions, at 62 a whole one."
    ),
    "headline.none": N_(
        "Sales and marketing cannot be compared in this wave: one of them has no team large enough "
        "to be shown."
    ),
    "change.up": N_("Up {change} points since {previous}"),
    "change.down": N_("Down {change} points since {previous}"),
    "change.same": N_("Unchanged since {previous}"),
    "change.real": N_(": a change beyond chance (95 % interval {low} to {high}; p = {p})."),
    "change.chance": N_(": within what chance alone could produce (95 % interval {low} to {high}; p = {p})."),
    "change.first": N_("This is the first wave with results; the next one will show the change."),
    "functions.gap": N_(
        "Across sales and marketing as a whole, the clearest differences are on {dimensions}."
    ),
    "functions.item": N_("{dimension} (sales {sales}, marketing {marketing})"),
    "gaps.heading.3": N_("The three gaps that matter most"),
    "gaps.heading.n": N_("The gaps that matter most"),
    "gaps.none": N_(
        "No gap between two teams is clear enough to act on in this wave: after allowing for the "
        "number of comparisons, every difference could be chance."
    ),
    "gap.title": N_("{team_a} and {team_b} see {dimension} differently."),
    "gap.detail": N_(
        "{higher} rates it {mean_high} and {lower} {mean_low} on the {scale} scale: a {size} gap "
        "(Hedges' g = {g}, adjusted p {p})."
    ),
    "gap.size.small": N_("small"),
    "gap.size.medium": N_("medium"),
    "gap.size.large": N_("large"),
    "gap.statements": N_("They split most on these statements (average answer, {scale_labels}):"),
    "gap.statement_means": N_("{team_a} {mean_a} · {team_b} {mean_b}"),
    "gap.cause": N_("What it points to: {cause}."),
    "gap.action": N_("What to do: {title}. {action}"),
    "gap.owners": N_("Who should own it: {team_a} and {team_b} together; {lead}."),
    "levels.heading": N_("Low for everyone"),
    "level.title": N_("{dimension}: both functions see a problem."),
    "level.detail": N_("The organisation rates it {mean} on the {scale} scale, below the midpoint."),
    "level.owners": N_("Who should own it: the heads of sales and marketing together; {lead}."),
    "changes.heading": N_("What changed since {previous}"),
    "changes.none": N_("No dimension changed beyond chance since {previous}."),
    "changes.rose": N_("{dimension} rose by {points} points of 100 ({before} → {after}, {scale} scale)."),
    "changes.fell": N_("{dimension} fell by {points} points of 100 ({before} → {after}, {scale} scale)."),
    "p.below": N_("< {value}"),
    "p.equals": N_("= {value}"),
    "section.alignment": N_("Alignment between teams"),
    "section.gaps": N_("Perception gaps between teams"),
    "section.meta": N_("How each function sees itself, the other, and what it expects"),
    "section.mindset": N_("Mindset profiles"),
    "section.items": N_("Statement by statement"),
    "section.trend": N_("What changed over the waves"),
    "section.comments": N_("Comments"),
    "section.teams": N_("Team reports"),
    "appendix.heading": N_("Appendix: method and data quality"),
    "appendix.intro": N_(
        "How the numbers were made and how far they can be trusted: who answered, how reliable "
        "each scale is, how much the members of a team agree, and which answers were left out."
    ),
    "appendix.responses": N_("Who answered"),
    "appendix.reliability": N_("Reliability of the scales"),
    "appendix.agreement": N_("Agreement within teams and differences between them"),
    "appendix.quality": N_("Careless answers"),
    "appendix.method": N_("How to read the statistics"),
    "appendix.comparability": N_("Do sales and marketing read the statements the same way?"),
    "comparability.intro": N_(
        "A difference between sales and marketing on a dimension is a difference in practice only if "
        "both read its statements the same way. For each dimension a factor model was fitted to both "
        "functions' answers and tested step by step: do the statements hang together alike, weigh "
        "alike, and start from the same point (measurement invariance)."
    ),
    "comparability.none": N_(
        "Not tested in this wave: the report compares sales and marketing only when both have members "
        "in the teams it shows."
    ),
    "caption.comparability": N_("Whether sales and marketing read each dimension's statements alike"),
    "col.comparability": N_("Comparable?"),
    "col.differs": N_("Statements read differently"),
    "comparability.untested": N_("Not tested: {dimensions} — {reason}"),
    "comparability.status.comparable": N_("Comparable"),
    "comparability.status.partial": N_("Partly comparable"),
    "comparability.status.not comparable": N_("Not comparable"),
    "comparability.status.not tested": N_("Not tested"),
    "comparability.reason.too_few_items": N_(
        "fewer than three of its statements were asked of both functions."
    ),
    "comparability.reason.too_few_respondents": N_(
        "too few respondents: each function needs at least {per_item} complete answers per statement "
        "and at least {threshold} people."
    ),
    "comparability.reason.unusable_data": N_(
        "the answers cannot carry the model (a statement everybody answered alike, or too little variation)."
    ),
    "comparability.reason.improper_solution": N_(
        "the model found no sound solution for these answers (it did not settle, or gave an impossible "
        "value)."
    ),
    "comparability.comparable": N_("Both functions read its statements alike."),
    "comparability.note": N_(
        "Partly comparable: the dimension still compares, but the statements listed weigh differently "
        "or start from a different point for the two functions; their single answers are not "
        "comparable. Not comparable: a difference on the dimension may be in the reading, not in the "
        "practice."
    ),
    "reading.not comparable": N_(
        "Sales and marketing read these statements differently, so this difference may be in the "
        "reading, not in the practice."
    ),
    "reading.partial": N_(
        "Sales and marketing read some of these statements differently ({statements}); the dimension "
        "still compares, but read those statements with care."
    ),
    "reading.marker": N_("†"),
    "reading.table_note": N_(
        "† Sales and marketing read this dimension's statements differently, in part or in whole (see "
        "the appendix): the difference may be in the reading, not in the practice."
    ),
    "reading.functions": N_(
        "Read with care: {dimensions} — sales and marketing read these statements differently."
    ),
    "method.threshold": N_(
        "Groups smaller than {threshold} people are not shown, nor groups whose answers could be worked "
        "out by subtracting other groups' results; the people in them still count towards the "
        "organisation and their parent teams."
    ),
    "method.gaps": N_(
        "A gap between two teams is Hedges' g: the difference of their means in standard deviations "
        "(0.2 small, 0.5 medium, 0.8 large). It is called significant when its p-value, corrected for "
        "the number of comparisons (Benjamini–Hochberg, 5 %), stays below .05."
    ),
    "method.alignment": N_(
        "The alignment index of two teams is the average overlap of their answer distributions across "
        "the perception dimensions, from 0 to 100 (100: no difference)."
    ),
    "method.trend": N_(
        "Trends show every dimension as a percentage of its maximum score (0 = the lowest answer, "
        "100 = the highest), so that dimensions answered on different scales can be compared."
    ),
    "quality.text": N_(
        "{careless} of {submitted} responses looked careless (identical answers in long runs, no "
        "variation, or an extremely unusual pattern) and were left out; {analysed} were analysed."
    ),
    "quality.hidden": N_("Careless answers are counted only when the organisation itself can be shown."),
    "icc.not_estimable": N_("not estimable"),
    "icc.note": N_(
        "ICC(1) is the share of the differences between people that lies between teams; ICC(2) is how "
        "reliable a team's mean is. ICC(2) is not estimable where ICC(1) is zero or below: the teams "
        "then differ no more than chance would make them, so their means are not reliable team "
        "scores."
    ),
    "reliability.low.alpha": N_("alpha below {cutoff}: read this dimension with care"),
    "reliability.low.omega": N_("omega below {cutoff}: read this dimension with care"),
    "reliability.low.both": N_("alpha and omega below {cutoff}: read this dimension with care"),
    "reliability.not_computable": N_("not computable"),
    "consensus.none": N_("no consensus"),
    "note.below": N_("fewer than {threshold} responses"),
    "note.complementary": N_("not shown, so that a smaller team cannot be worked out"),
    "function.sales": N_("Sales"),
    "function.marketing": N_("Marketing"),
    "function.other": N_("Other"),
    "organization": N_("Organisation"),
    "alignment.index": N_("Sales–marketing alignment index"),
    "quadrant.aligned, positive": N_("aligned and positive"),
    "quadrant.aligned, critical": N_("aligned but critical"),
    "quadrant.apart, positive": N_("apart, though positive"),
    "quadrant.apart, critical": N_("apart and critical"),
    "comparison.perception": N_("itself vs the other function's view"),
    "comparison.meta_accuracy": N_("what it expects vs the other function's view"),
    "first_rows": N_("The {shown} of {total} rows that matter most; all are in the Excel and CSV results."),
    "more_in_results": N_("Every pair and dimension is in the Excel and CSV results."),
    "col.teams": N_("Teams"),
    "col.alignment": N_("Alignment"),
    "col.level": N_("Level"),
    "col.quadrant": N_("Quadrant"),
    "col.dimension": N_("Dimension"),
    "col.means": N_("Teams and their means"),
    "col.g": N_("Gap (g)"),
    "col.g_interval": N_("95 % interval of g"),
    "col.p_adjusted": N_("Adjusted p"),
    "col.significant": N_("Significant"),
    "col.function_rated": N_("Function rated"),
    "col.self": N_("Rates itself"),
    "col.other": N_("Rated by the other"),
    "col.expected": N_("Expects"),
    "col.g_self": N_("g, itself vs other"),
    "col.g_expected": N_("g, expects vs other"),
    "col.correlation": N_("Correlation"),
    "col.distance": N_("Distance"),
    "col.measure": N_("Measure"),
    "col.change": N_("Change"),
    "col.interval": N_("95 % interval"),
    "col.p": N_("p"),
    "col.beyond_chance": N_("Beyond chance"),
    "col.team": N_("Team"),
    "col.function": N_("Function"),
    "col.invited": N_("Invited"),
    "col.answered": N_("Answered"),
    "col.rate": N_("Response rate"),
    "col.note": N_("Note"),
    "col.items": N_("Items"),
    "col.alpha": N_("Cronbach's alpha"),
    "col.omega": N_("McDonald's omega"),
    "col.alpha_answered": N_("Alpha of one respondent's answers"),
    "col.icc1": N_("ICC(1)"),
    "col.icc2": N_("ICC(2)"),
    "col.n_teams": N_("Teams"),
    "col.team_mean": N_("Team mean"),
    "col.org_mean": N_("Organisation mean"),
    "col.difference": N_("Difference"),
    "col.rwg": N_("Agreement rwg(j)"),
    "col.other_team": N_("Other team"),
    "col.this_team": N_("This team"),
    "col.other_mean": N_("Other team"),
    "col.statement": N_("Statement"),
    "caption.pairs": N_("Alignment index per pair of teams, least aligned first (0–100)"),
    "caption.gaps": N_(
        "The largest gaps between teams; ★: significant after correcting for the number of comparisons "
        "(Benjamini–Hochberg, 5 %)"
    ),
    "caption.means": N_(
        "Team means per dimension. “No consensus” marks a team whose members do not agree (rwg(j) "
        "below .70): its mean would suggest a shared view that is not there."
    ),
    "caption.part": N_("{caption} ({part} of {parts})"),
    "caption.meta": N_(
        "How each function rates itself, how the other function rates it, and the rating it expects"
    ),
    "caption.similarity": N_(
        "Profile similarity between teams, least similar first (correlation of the profiles; distance "
        "in standard deviations)"
    ),
    "caption.trend": N_(
        "Change since {previous} (dimension means on their answer scale, the index in points); ★: p < .05"
    ),
    "caption.responses": N_("Response rates per team (a team includes the teams under it)"),
    "caption.reliability": N_("Reliability of each dimension (.70 or more is usually taken as reliable)"),
    "caption.reliability_short": N_(
        "Reliability of each dimension. This wave used the shorter form: each respondent answered "
        "{k} statements of each dimension, chosen at random. Alpha and omega are the whole scale's, "
        "from the statements answered together; the alpha of one respondent's answers is that of "
        "the shorter scores the results are made of (.70 or more is usually taken as reliable)"
    ),
    "caption.icc": N_("Share of variance between teams, ICC(1), and reliability of team means, ICC(2)"),
    "caption.team_profile": N_("The team's mean per dimension next to the organisation's"),
    "caption.team_gaps": N_(
        "The largest gaps between {team} and the other teams (Hedges' g); ★: significant after correction"
    ),
    "caption.team_alignment": N_("Alignment index with each other team, least aligned first"),
    "interval": N_("{low} to {high}"),
    "rate": N_("{value} %"),
    "cover.wave": N_("Wave"),
    "cover.responses_label": N_("Responses"),
    "cover.results": N_("Results"),
    "team.eyebrow_full": N_("{organization} · team report · {wave} · release {number}"),
    "title.quadrant": N_("Alignment quadrant: how good both teams think things are, how far apart they are"),
    "title.gaps": N_("Perception gaps: {team_a} and {team_b}"),
    "title.meta": N_("How each function sees itself, the other, and what it expects"),
    "title.profiles": N_("Mindset profiles"),
    "title.items": N_("Statement by statement: each team against the organisation mean"),
    "title.items_page": N_("Statement by statement: each team against the organisation ({page} of {pages})"),
    "title.agreement": N_("Agreement within teams, rwg(j), per dimension"),
    "title.team_profile": N_("Mindset profile: {team} and the organisation"),
    "figure.quadrant": N_(
        "Each dot is a pair of teams: across how good both think things are (level, left to right) "
        "and how close they are (alignment index, bottom to top). The numbered pairs are the least "
        "aligned: {pairs}."
    ),
    "figure.quadrant.headline": N_(" The diamond is sales against marketing: {value} ({low}–{high})."),
    "figure.gaps": N_(
        "{team_a} and {team_b}, the pair of teams furthest apart: each team's mean per dimension with "
        "its 95 % interval, and the gap between them. {summary}"
    ),
    "figure.gaps.summary": N_("The significant gaps are on {dimensions}."),
    "figure.gaps.none": N_("None of the gaps is significant."),
    "figure.meta": N_(
        "For each function and dimension: how it rates itself, how the other function rates it, and "
        "how it expects to be rated. {summary}"
    ),
    "figure.meta.summary": N_("The widest spread is {target} on {dimension}."),
    "figure.profiles": N_(
        "Mean mindset score of {teams} on each mindset dimension, with the organisation's mean as a "
        "grey line.{more}"
    ),
    "figure.profiles.more": N_(" The {shown} of {total} teams furthest from the organisation are drawn."),
    "figure.items": N_(
        "Each team's average on every statement, compared with the organisation's: purple means more "
        "favourable than the organisation, orange less (a statement worded negatively counts the other "
        "way round). {summary}"
    ),
    "figure.items.summary": N_("The largest departures: {items}."),
    "figure.items.item": N_("{team} on “{text}” ({difference})"),
    "figure.agreement": N_(
        "How much the members of each team agree, per dimension (rwg(j), 1 = full agreement); below "
        ".70 a team has no consensus and its mean says little. {summary}"
    ),
    "figure.agreement.summary": N_("{count} team scores fall below .70."),
    "figure.trend": N_(
        "One small chart per measure, all on the same 0–100 axis: the sales–marketing alignment index, "
        "then each dimension as a percentage of its maximum score, with 95 % intervals. Waves: {waves}. "
        "A ring and * mark a change since the previous wave beyond chance."
    ),
    "figure.team_trend": N_(
        "One small chart per dimension for {team}, as a percentage of the maximum score (0–100), with "
        "95 % intervals. Waves: {waves}."
    ),
    "figure.team_profile": N_("{team}'s mean on each mindset dimension, and the organisation's (grey)."),
    "team.back": N_("Back to the organisation report"),
    "team.summary": N_("Compared with the organisation, {team} rates {high} highest and {low} lowest."),
    "team.profile": N_("Profile against the organisation"),
    "team.gaps": N_("Gaps to each other team"),
    "team.trend": N_("Trend"),
    "team.other_reports": N_("Other team reports"),
    "section.lead_definition": N_("What each team counts as a qualified lead"),
    "lead.intro": N_(
        "{n_a} people in {a} and {n_b} in {b} classified the same {vignettes} lead profiles. "
        "Lead-definition index: {index} of 100 (95 % interval {interval}); 100 would mean the two teams "
        "judge every profile alike, on the same scale as the alignment index."
    ),
    "lead.too_few": N_(
        "Fewer than {threshold} people in {a} or in {b} classified the lead profiles, so this section "
        "shows no result."
    ),
    "lead.differs": N_("{function} gives more weight to {attributes}."),
    "lead.no_splits": N_("No lead profile splits {a} and {b} beyond chance."),
    "lead.definition": N_(
        "A draft lead definition, from the criteria {a} and {b} already both use — the starting point of "
        "the hand-over agreement:"
    ),
    "lead.no_definition": N_(
        "{a} and {b} share no criterion clearly enough yet for a draft lead definition: start the "
        "hand-over agreement by agreeing the attributes in the table above."
    ),
    "lead.to_agree": N_("Still to agree between the teams: {attributes}."),
    "lead.weighs_more": N_("{function} weighs it more"),
    "lead.status.agreed": N_("Both weigh it alike"),
    "lead.status.unclear": N_("Not clear"),
    "lead.weights_note": N_(
        "Share: how much of a team's judgement of a lead the attribute decides (each team's shares "
        "add up to 100 %)."
    ),
    "lead.name": N_("Lead {number} of {total}"),
    "lead.see": N_("Start from the draft lead definition in {section}."),
    "caption.lead_weights": N_("What decides whether a lead is ready for sales, in {a} and in {b}"),
    "caption.lead_splits": N_("The lead profiles the teams judge most differently"),
    "col.attribute": N_("Attribute"),
    "col.share": N_("{function}: share"),
    "col.verdict": N_("Between the teams"),
    "col.lead": N_("Lead"),
    "col.profile": N_("Profile"),
    "col.ready": N_("{function}: ready for sales"),
    "definition.index": N_("Lead-definition index"),
    "caption.measures": N_("Sales and marketing on each alignment measure (0–100)"),
    "col.basis": N_("Based on"),
    "measures.alignment": N_(
        "{dimensions} perception dimensions; {n_sales} people in sales, {n_marketing} in marketing"
    ),
    "measures.definition": N_(
        "{vignettes} lead profiles judged by {n_sales} people in sales and {n_marketing} in marketing"
    ),
    "measures.too_few": N_("Fewer than {threshold} people in sales or in marketing judged the lead profiles"),
    "measures.note": N_(
        "The alignment index compares how the two functions rate the joint system; the lead-definition "
        "index how alike they judge the same lead profiles (see {section})."
    ),
    "functions.definition": N_(
        "Judging the same lead profiles, sales and marketing reach a lead-definition index of {index} of "
        "100 (95 % interval {interval})."
    ),
    "figure.trend.definition": N_(
        " The lead-definition index, from the lead profiles, follows the alignment index."
    ),
}

#: The cause each cause code stands for, as a reader understands it (``shared/DOMAIN.md``).
CAUSE_TEXT: dict[str, str] = {
    "definitions": N_(
        "no shared vocabulary: “lead”, “qualified lead” and “customer” mean different things to each team"
    ),
    "handover": N_(
        "no agreed hand-over: nobody knows when a prospect becomes sales' responsibility, so "
        "follow-up is patchy"
    ),
    "goals": N_("different goals and measures, with marketing's targets not linked to revenue"),
    "incentives": N_("incentives that reward each team for its own number"),
    "plan": N_(
        "no shared plan: asked what the business does and whom it targets, each team answers differently"
    ),
    "target_customer": N_("no shared target customer: the teams aim at different buyers"),
    "lead_quality": N_("lead quality judged differently, and quantity rewarded over quality"),
    "feedback": N_("no feedback loop: sales does not tell marketing what became of its leads"),
    "data_systems": N_("customer data and marketing systems that are not connected"),
    "lifecycle": N_("a relationship with the customer that ends at the sale"),
    "mindsets": N_("differences in how the two professions think, assumed rather than understood"),
    "blame": N_("a habit of blaming the other team instead of owning problems jointly"),
}

#: Cause code -> (short imperative title, what aligned organisations do).
PRACTICES: dict[str, tuple[str, str]] = {
    "definitions": (
        N_("Write down what a lead is"),
        N_(
            "Agree written definitions of each lead stage (for example enquiry, marketing-qualified, "
            "sales-accepted) and name which team owns a prospect at every stage."
        ),
    ),
    "plan": (
        N_("Make one plan both teams can state"),
        N_(
            "Work out one plan for the year: what the company sells, to whom and with which priorities, and "
            "check that people in both teams describe it the same way."
        ),
    ),
    "target_customer": (
        N_("Describe the ideal customer together"),
        N_(
            "Draft a shared ideal-customer profile and personas (industry, size, the decision-makers to "
            "reach) and use the same description for campaigns and for prospecting."
        ),
    ),
    "goals": (
        N_("Derive both teams' targets from revenue"),
        N_(
            "Set joint targets backwards from revenue: the close rate gives the pipeline needed, the "
            "pipeline the number of qualified leads, so both teams answer for the same figures."
        ),
    ),
    "incentives": (
        N_("Reward joint results"),
        N_(
            "Tie part of both teams' bonuses and recognition to shared outcomes such as pipeline converted "
            "or revenue from marketing-sourced leads, not only to each team's own number."
        ),
    ),
    "lead_quality": (
        N_("Score leads in a way both teams trust"),
        N_(
            "Build a lead-scoring model together, review it against won and lost deals, and reward lead "
            "quality rather than lead volume."
        ),
    ),
    "handover": (
        N_("Agree the hand-over in a service-level agreement"),
        N_(
            "Fix the point at which a lead passes to sales and what follows: how fast sales responds, how "
            "many attempts it makes, and when an unworked lead goes back to marketing."
        ),
    ),
    "feedback": (
        N_("Close the feedback loop"),
        N_(
            "Hold a regular joint review in which sales reports what happened to the leads it received and "
            "marketing reports what it is planning, with the same pipeline report in front of both."
        ),
    ),
    "data_systems": (
        N_("Build one view of the customer"),
        N_(
            "Connect the CRM and the marketing tools so that both teams see the same record of each "
            "customer, its history and its stage."
        ),
    ),
    "lifecycle": (
        N_("Hand customers back after the sale"),
        N_(
            "Agree how customers return to marketing after the sale for onboarding, loyalty and referral "
            "programmes, and who keeps in touch with them."
        ),
    ),
    "mindsets": (
        N_("Learn how the other team works"),
        N_(
            "Let people shadow the other team, rotate into joint projects and share the pressures and "
            "measures each team works under, so differences are known rather than assumed."
        ),
    ),
    "blame": (
        N_("Own problems jointly"),
        N_(
            "Review missed targets together and look for causes in the shared process rather than in the "
            "other team; agree who fixes what and report back."
        ),
    ),
}

#: Cause code -> who leads the practice, beyond the teams where the gap lies.
OWNERS: dict[str, str] = {
    "definitions": N_("the heads of sales and marketing sign the definitions off"),
    "plan": N_("the sales and marketing directors, with whoever owns the company plan"),
    "target_customer": N_("the sales and marketing directors agree the profile"),
    "goals": N_("the sales and marketing directors set the targets, with finance"),
    "incentives": N_("the sales and marketing directors, with HR"),
    "lead_quality": N_("marketing operations and the sales managers build the scoring together"),
    "handover": N_("the heads of sales and marketing sign the agreement and sales operations tracks it"),
    "feedback": N_("the sales and marketing managers run the review"),
    "data_systems": N_("sales and marketing operations, with IT"),
    "lifecycle": N_("the account managers and marketing agree the hand-back"),
    "mindsets": N_("the team leads arrange the exchanges"),
    "blame": N_("the sales and marketing directors, who set the example"),
}


def message(language: str, key: str) -> str:
    """The template of ``key`` in ``language`` (the catalogue's translation of the English)."""
    return translate(language, MESSAGES[key])


def lookup(tables: dict, language: str, key: str):
    """An entry of one of the cause tables (a text or a tuple of texts) in ``language``."""
    entry = tables.get(key)
    if isinstance(entry, tuple):
        return tuple(translate(language, text) for text in entry)
    return translate(language, entry) if entry is not None else None


_FIELD = re.compile(r"\{(\w+)\}")


def phrase(language: str, key: str, **values) -> Phrase:
    """Message ``key`` with its ``{fields}`` filled: a tuple of :class:`Segment` s.

    A value may be a :class:`Segment` (a linked team name, a bold number), a phrase (a
    tuple of segments) or anything else, which is shown as ``str(value)``.
    """
    parts = _FIELD.split(message(language, key))
    out: list[Segment] = []
    for position, part in enumerate(parts):
        if position % 2 == 0:
            if part:
                out.append(Segment(part))
            continue
        value = values[part]
        if isinstance(value, Segment):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(value)
        else:
            out.append(Segment(str(value)))
    return tuple(out)


def say(language: str, key: str, **values) -> str:
    """Message ``key`` with its fields filled, as plain text."""
    return plain(phrase(language, key, **values))


def plain(parts: Phrase) -> str:
    """A phrase as plain text."""
    return "".join(segment.text for segment in parts)


def join(language: str, items: list) -> tuple:
    """Phrases or texts joined as a list is read: "a, b and c"."""
    word = translate(language, " and ")
    items = [item if isinstance(item, tuple) else (Segment(str(item)),) for item in items]
    out: list[Segment] = []
    for position, item in enumerate(items):
        if position:
            out.append(Segment(word if position == len(items) - 1 else ", "))
        out.extend(item)
    return tuple(out)


def number(value, digits: int = 2, language: str = "en", sign: bool = False) -> str:
    """A number for people in ``language``: fixed decimals, a real minus sign, a dash for a missing value."""
    return format_number(value, digits, language, sign)
