"""The public pages' words in English and French, and numbers written the way each reads them.

Every label of the pages is here (the manifest's own texts come from the manifest); a page in
``lang`` uses only ``WORDS[lang]``. :func:`number` writes thousands separators (``1,234`` in
English, ``1 234`` with a narrow no-break space in French) and :func:`percent` one decimal.
"""

from __future__ import annotations

from typing import Final

from evote.errors import InvalidInput

LANGUAGES: Final = ("en", "fr")

WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "language": "English",
        "colon": ": ",
        "skip": "Skip to the content",
        "page_status": "Election status",
        "page_results": "Results",
        "page_lookup": "Check your ballot",
        "state": "State",
        "state_setup": "Being prepared: voting has not opened",
        "state_open": "Open: voting is under way",
        "state_closed": "Closed: the count is under way",
        "state_tallied": "Counted: the result is published",
        "opens": "Voting opens",
        "closes": "Voting closes",
        "ballots_cast": "Ballots cast so far (revotes included)",
        "ballot_entries": "Ballots cast on the board (revotes included)",
        "spoiled": "Ballots opened for an audit (never counted)",
        "turnout": "Turnout",
        "ballots_counted": "Ballots counted",
        "total_weight": "Total weight of the counted ballots",
        "option": "Option",
        "project": "Project",
        "votes": "Votes",
        "share": "Share of the total weight",
        "cost": "Cost",
        "funded": "Funded",
        "yes": "Yes",
        "no": "No",
        "blank": "Blank",
        "funded_mark": "funded",
        "not_funded_mark": "not funded",
        "chart_title": "Votes per option: {question}",
        "chart_note": "Bar chart; the same figures are in the table below.",
        "table_caption": "Votes per option: {question}",
        "budget_line": "Budget {budget}; spent {spent} on {count} funded projects.",
        "budget_chart": "Funded projects against the budget: {question}",
        "budget_table": "Funded projects and their cost: {question}",
        "total_spent": "Total spent",
        "mixnet_rule": "Counted by {rule}.",
        "rule_majority-judgment": "majority judgment",
        "rule_schulze": "the Condorcet–Schulze method",
        "rule_stv": "single transferable vote, {seats} seats",
        "mixnet_winners": "Winners: {winners}.",
        "mixnet_no_winner": "no winner published",
        "grades_caption": "Ballots per grade, best grade first: {question}",
        "ranks_caption": "Ballots per rank (1: most preferred): {question}",
        "rank_n": "Rank {rank}",
        "majority_grade": "Majority grade",
        "ranking_heading": "Ranking, best first (= marks a tie)",
        "elected_heading": "Elected, in order of election",
        "quota": "Quota: {quota} votes.",
        "stages_caption": "Stages of the count, each option's votes after each stage: {question}",
        "stage": "Stage",
        "action": "What happened",
        "non_transferable": "Non-transferable",
        "action_first": "First preferences counted",
        "action_surplus": "Surplus of {option} transferred",
        "action_exclusion": "{option} excluded, their votes transferred",
        "action_fill": "Remaining seats filled",
        "stv_note": (
            "Votes are counted to a hundred-thousandth of a vote: surplus transfers split"
            " ballots into fractions."
        ),
        "mixnet_note": (
            "The answers to this question were shuffled, then decrypted one by one: every"
            " decrypted answer and the whole count are in the election record (result.json),"
            " so that anyone can count them again."
        ),
        "of_budget": "{spent} of {budget}",
        "anchors": "Check the result yourself",
        "anchors_intro": (
            "Anyone can check this result with the free program evote: download the election"
            " record and run the command below. It recomputes the count from the encrypted"
            " ballots, checks every proof, and compares the record with the fingerprint and the"
            " signed checkpoint shown here; keep the checkpoint file to detect a record altered"
            " later."
        ),
        "fingerprint": "Election fingerprint",
        "board_key": "Board key (Ed25519)",
        "checkpoint": "Latest signed checkpoint",
        "signed_state": "What the board has signed",
        "election_id": "Election",
        "position": "Position on the board",
        "chain_hash": "Chain hash",
        "time": "Time (board clock, UTC)",
        "signature": "Signature",
        "checkpoint_file": "The checkpoint file",
        "no_checkpoint": "No checkpoint has been signed yet.",
        "download_checkpoint": "Download the checkpoint file (for evote verify --checkpoint)",
        "download_record": "Download the election record",
        "open_data": "Open data: the result as CSV and JSON, with its metadata",
        "verify_command": "An auditor runs:",
        "audits": "Audited ballots",
        "audits_intro": (
            "A voter may ask their device to open a ballot instead of casting it, to check that"
            " it encrypted their choices faithfully (a Benaloh audit). An opened ballot is"
            " published with its verdict and is never counted."
        ),
        "audits_caption": "Audited (spoiled) ballots and their verdicts",
        "tracking_code": "Tracking code",
        "verdict": "Verdict",
        "audit_holds": "the audit holds",
        "audit_failed": "the audit FAILED: {error}",
        "undecodable": "(cannot be read)",
        "no_audits": "No ballot was audited.",
        "lookup": "Check your ballot with its tracking code",
        "lookup_intro": (
            "When you voted, your device showed a tracking code. Enter it here to check that"
            " your encrypted ballot is on the public board and counted. The code is computed from"
            " your encrypted ballot, not from your choices: it shows nobody how you voted."
        ),
        "lookup_label": "Tracking code",
        "lookup_hint": "21 letters and digits, for example 7K3M-Q2PA-9XRT-B4WD-H6N8C",
        "lookup_button": "Check",
        "lookup_offline": "Check it against the record with: evote verify-ballot RECORD CODE",
        "lookup_counted": "Your ballot {code} is on the board at position {position}, and it is"
        " counted.",
        "lookup_superseded": (
            "Your ballot {code} is on the board at position {position}. You voted again with"
            " the same credential later: that later ballot is the one counted."
        ),
        "lookup_spoiled": (
            "The ballot {code} was opened for an audit at position {position}: it is not"
            " counted. It appears among the audited ballots with its verdict."
        ),
        "lookup_not_found": (
            "No ballot with the tracking code {code} is on the board. Check the code. If you"
            " are sure of it and kept your receipt, tell the election officers: a receipt for a"
            " ballot missing from the board is evidence against the board."
        ),
        "lookup_malformed": (
            "{code} is not a tracking code: a tracking code has 21 letters and digits, in"
            " groups separated by dashes."
        ),
        "to_results": "See the results",
        "to_status": "Election status",
        "to_booth": "Go to the voting booth",
        "no_result": "The result is not published yet.",
    },
    "fr": {
        "language": "Français",
        "colon": " : ",
        "skip": "Aller au contenu",
        "page_status": "État du scrutin",
        "page_results": "Résultats",
        "page_lookup": "Vérifier votre bulletin",
        "state": "État",
        "state_setup": "En préparation : le vote n'est pas encore ouvert",
        "state_open": "Ouvert : le vote est en cours",
        "state_closed": "Clos : le dépouillement est en cours",
        "state_tallied": "Dépouillé : le résultat est publié",
        "opens": "Ouverture du vote",
        "closes": "Clôture du vote",
        "ballots_cast": "Bulletins déposés à ce jour (nouveaux votes compris)",
        "ballot_entries": "Bulletins déposés dans le registre (nouveaux votes compris)",
        "spoiled": "Bulletins ouverts pour un audit (jamais comptés)",
        "turnout": "Participation",
        "ballots_counted": "Bulletins comptés",
        "total_weight": "Poids total des bulletins comptés",
        "option": "Option",
        "project": "Projet",
        "votes": "Voix",
        "share": "Part du poids total",
        "cost": "Coût",
        "funded": "Financé",
        "yes": "Oui",
        "no": "Non",
        "blank": "Blanc",
        "funded_mark": "financé",
        "not_funded_mark": "non financé",
        "chart_title": "Voix par option : {question}",
        "chart_note": "Diagramme en barres ; les mêmes chiffres figurent dans le tableau.",
        "table_caption": "Voix par option : {question}",
        "budget_line": "Budget {budget} ; dépensé {spent} pour {count} projets financés.",
        "mixnet_rule": "Décompte : {rule}.",
        "rule_majority-judgment": "jugement majoritaire",
        "rule_schulze": "méthode de Condorcet–Schulze",
        "rule_stv": "vote unique transférable, {seats} sièges",
        "mixnet_winners": "Gagnants : {winners}.",
        "mixnet_no_winner": "aucun gagnant publié",
        "grades_caption": "Bulletins par mention, de la meilleure à la moins bonne : {question}",
        "ranks_caption": "Bulletins par rang (1 : le préféré) : {question}",
        "rank_n": "Rang {rank}",
        "majority_grade": "Mention majoritaire",
        "ranking_heading": "Classement, du premier au dernier (= marque une égalité)",
        "elected_heading": "Élus, dans l'ordre de leur élection",
        "quota": "Quota : {quota} voix.",
        "stages_caption": (
            "Étapes du décompte, voix de chaque option après chaque étape : {question}"
        ),
        "stage": "Étape",
        "action": "Opération",
        "non_transferable": "Non transférables",
        "action_first": "Premières préférences comptées",
        "action_surplus": "Surplus de {option} transféré",
        "action_exclusion": "{option} éliminé, ses voix transférées",
        "action_fill": "Sièges restants pourvus",
        "stv_note": (
            "Les voix sont comptées au cent-millième de voix près : les transferts de surplus"
            " partagent des bulletins en fractions."
        ),
        "mixnet_note": (
            "Les réponses à cette question ont été mélangées, puis déchiffrées une à une :"
            " chaque réponse déchiffrée et tout le décompte figurent dans le registre de"
            " l'élection (result.json), pour que chacun puisse les recompter."
        ),
        "budget_chart": "Projets financés face au budget : {question}",
        "budget_table": "Projets financés et leur coût : {question}",
        "total_spent": "Total dépensé",
        "of_budget": "{spent} sur {budget}",
        "anchors": "Vérifiez vous-même le résultat",
        "anchors_intro": (
            "Chacun peut vérifier ce résultat avec le logiciel libre evote : téléchargez le"
            " registre de l'élection et lancez la commande ci-dessous. Elle recalcule le"
            " décompte à partir des bulletins chiffrés, vérifie chaque preuve et compare le"
            " registre à l'empreinte et au point de contrôle signé affichés ici ; gardez le"
            " fichier du point de contrôle pour détecter un registre modifié plus tard."
        ),
        "fingerprint": "Empreinte de l'élection",
        "board_key": "Clé du registre (Ed25519)",
        "checkpoint": "Dernier point de contrôle signé",
        "signed_state": "Ce que le registre a signé",
        "election_id": "Élection",
        "position": "Position dans le registre",
        "chain_hash": "Empreinte de la chaîne",
        "time": "Heure (horloge du registre, UTC)",
        "signature": "Signature",
        "checkpoint_file": "Le fichier du point de contrôle",
        "no_checkpoint": "Aucun point de contrôle n'a encore été signé.",
        "download_checkpoint": (
            "Télécharger le fichier du point de contrôle (pour evote verify --checkpoint)"
        ),
        "download_record": "Télécharger le registre de l'élection",
        "open_data": "Données ouvertes : le résultat en CSV et JSON, avec ses métadonnées",
        "verify_command": "Un auditeur exécute :",
        "audits": "Bulletins audités",
        "audits_intro": (
            "Un électeur peut demander à son appareil d'ouvrir un bulletin au lieu de le"
            " déposer, pour vérifier qu'il a fidèlement chiffré ses choix (audit de Benaloh). Un"
            " bulletin ouvert est publié avec son verdict et n'est jamais compté."
        ),
        "audits_caption": "Bulletins audités (ouverts) et leur verdict",
        "tracking_code": "Code de suivi",
        "verdict": "Verdict",
        "audit_holds": "l'audit est concluant",
        "audit_failed": "l'audit a ÉCHOUÉ : {error}",
        "undecodable": "(illisible)",
        "no_audits": "Aucun bulletin n'a été audité.",
        "lookup": "Vérifiez votre bulletin avec son code de suivi",
        "lookup_intro": (
            "Quand vous avez voté, votre appareil a affiché un code de suivi. Saisissez-le ici"
            " pour vérifier que votre bulletin chiffré est dans le registre public et qu'il est"
            " compté. Le code est calculé à partir de votre bulletin chiffré, pas de vos"
            " choix : il ne révèle à personne comment vous avez voté."
        ),
        "lookup_label": "Code de suivi",
        "lookup_hint": "21 lettres et chiffres, par exemple 7K3M-Q2PA-9XRT-B4WD-H6N8C",
        "lookup_button": "Vérifier",
        "lookup_offline": ("Vérifiez-le dans le registre avec : evote verify-ballot REGISTRE CODE"),
        "lookup_counted": "Votre bulletin {code} est dans le registre à la position {position},"
        " et il est compté.",
        "lookup_superseded": (
            "Votre bulletin {code} est dans le registre à la position {position}. Vous avez"
            " voté de nouveau plus tard avec le même identifiant : c'est ce dernier bulletin"
            " qui est compté."
        ),
        "lookup_spoiled": (
            "Le bulletin {code} a été ouvert pour un audit à la position {position} : il"
            " n'est pas compté. Il figure parmi les bulletins audités avec son verdict."
        ),
        "lookup_not_found": (
            "Aucun bulletin portant le code de suivi {code} n'est dans le registre. Vérifiez le"
            " code. Si vous en êtes sûr et avez gardé votre reçu, prévenez les responsables de"
            " l'élection : un reçu pour un bulletin absent du registre est une preuve contre"
            " le registre."
        ),
        "lookup_malformed": (
            "{code} n'est pas un code de suivi : un code de suivi compte 21 lettres et"
            " chiffres, en groupes séparés par des tirets."
        ),
        "to_results": "Voir les résultats",
        "to_status": "État du scrutin",
        "to_booth": "Aller à l'isoloir",
        "no_result": "Le résultat n'est pas encore publié.",
    },
}

#: How each language groups thousands and writes the decimal point and the percent sign.
_THOUSANDS: Final = {"en": ",", "fr": "\u202f"}
_DECIMAL: Final = {"en": ".", "fr": ","}
_PERCENT: Final = {"en": "%", "fr": "\u202f%"}


def check_language(lang: str) -> str:
    """``lang`` if the pages speak it, else InvalidInput naming the ones they do."""
    if lang not in WORDS:
        raise InvalidInput(f"language {lang!r}: the pages are in {', '.join(LANGUAGES)}")
    return lang


def word(lang: str, key: str, **values: object) -> str:
    """The label ``key`` in ``lang``, with ``values`` filled in (not escaped: escape the result)."""
    text = WORDS[lang][key]
    return text.format(**values) if values else text


def number(lang: str, value: int) -> str:
    """An integer with the language's thousands separator: 1,234 or 1 234."""
    return f"{value:,}".replace(",", _THOUSANDS[lang])


def percent(lang: str, part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``, one decimal (0 when ``whole`` is 0)."""
    share = 0 if whole == 0 else round(1000 * part / whole) / 10
    return f"{share:.1f}".replace(".", _DECIMAL[lang]) + _PERCENT[lang]
