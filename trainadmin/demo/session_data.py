"""The demo's formations and the plan of its sessions (when, in which state, how full), with the
comments and texts they carry."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from .reference_data import KNOWLEDGE, SATISFACTION

# Each formation, its defaults and the shape of its sessions: `sequences` lists
# (label, teaching mode, days) where days is a number of full days or 0.5 for a half day;
# `prework` is the label of an e-learning pre-work sequence; `gap_weeks` separates the
# sequences of a « session complexe ».
TRAININGS = [
    {
        "reference": "MGT-01",
        "name": "Management d'équipe — les fondamentaux",
        "certification": "Certificat Manager de proximité",
        "session_type": "intra",
        "organisation": "Institut Rhône-Alpes de Management",
        "capacities": (6, 10, 12),
        "dispositif": "Plan de développement des compétences",
        "funding_eligible": True,
        "comments": "Parcours en deux temps : deux jours de formation puis un retour d'expérience.",
        "evaluation": SATISFACTION,
        "duration_hours": Decimal("17.50"),
        "default_costs": {
            "Animation": Decimal("3200.00"),
            "Location de salle": Decimal("450.00"),
            "Restauration": Decimal("28.00"),
        },
        "sequences": [
            ("Module 1 — Posture et rôle du manager", "Présentiel", 2),
            ("Module 2 — Retour d'expérience", "Classe virtuelle", 0.5),
        ],
        "gap_weeks": 5,
        "prework": None,
        "trainers": ["Isabelle Roux", "Marc Lemoine"],
        "population": "Cadres",
        "cold_survey_days": 90,
    },
    {
        "reference": "BUR-XL2",
        "name": "Excel perfectionnement",
        "certification": "TOSA Excel",
        "session_type": "inter",
        "organisation": "Numérique & Compétences",
        "capacities": (4, 8, 10),
        "dispositif": "CPF",
        "funding_eligible": True,
        "comments": "Chaque participant vient avec un ordinateur portable équipé d'Excel.",
        "evaluation": SATISFACTION,
        "duration_hours": Decimal("14.00"),
        "default_costs": {"Animation": Decimal("690.00"), "Supports pédagogiques": Decimal("35.00")},
        "sequences": [("Tableaux croisés dynamiques et fonctions avancées", "Présentiel", 2)],
        "gap_weeks": 0,
        "prework": None,
        "trainers": ["Nicolas Aubert", "Émilie Vasseur"],
        "population": None,
        "cold_survey_days": None,
    },
    {
        "reference": "SEC-ELEC",
        "name": "Habilitation électrique B1V-BR-BC",
        "certification": "Habilitation électrique B1V-BR-BC",
        "session_type": "intra",
        "organisation": "Forma'Tech Industrie",
        "capacities": (4, 8, 10),
        "dispositif": "Plan de développement des compétences",
        "funding_eligible": False,
        "comments": "Équipements de protection individuelle fournis par le site.",
        "evaluation": KNOWLEDGE,
        "duration_hours": Decimal("21.00"),
        "default_costs": {
            "Animation": Decimal("2850.00"),
            "Déplacement": Decimal("420.00"),
            "Supports pédagogiques": Decimal("18.00"),
        },
        "sequences": [("Théorie et travaux pratiques", "Présentiel", 3)],
        "gap_weeks": 0,
        "prework": None,
        "trainers": ["Stéphane Girard", "Valérie Chevalier"],
        "population": "Techniciens",
        "cold_survey_days": 60,
    },
    {
        "reference": "SEC-SST",
        "name": "Sauveteur Secouriste du Travail — formation initiale",
        "certification": "Sauveteur Secouriste du Travail (SST)",
        "session_type": "intra",
        "organisation": "Forma'Tech Industrie",
        "capacities": (4, 8, 10),
        "dispositif": "Plan de développement des compétences",
        "funding_eligible": False,
        "comments": "Tenue confortable conseillée pour les mises en situation.",
        "evaluation": KNOWLEDGE,
        "duration_hours": Decimal("14.00"),
        "default_costs": {"Animation": Decimal("1480.00"), "Restauration": Decimal("24.00")},
        "sequences": [("Gestes de premiers secours", "Présentiel", 2)],
        "gap_weeks": 0,
        "prework": None,
        "trainers": ["Valérie Chevalier", "Céline Barbier"],
        "population": None,
        "cold_survey_days": None,
    },
    {
        "reference": "COM-NEGO",
        "name": "Négociation commerciale et traitement des objections",
        "certification": "Certificat Négociation commerciale",
        "session_type": "inter",
        "organisation": "Institut Rhône-Alpes de Management",
        "capacities": (6, 10, 12),
        "dispositif": "Pro-A",
        "funding_eligible": True,
        "comments": "Un auto-diagnostic en ligne est à réaliser avant la première journée.",
        "evaluation": SATISFACTION,
        "duration_hours": Decimal("21.00"),
        "default_costs": {
            "Animation": Decimal("1150.00"),
            "Restauration": Decimal("28.00"),
            "Location de salle": Decimal("520.00"),
        },
        "sequences": [
            ("Jours 1 et 2 — Préparer et conduire la négociation", "Présentiel", 2),
            ("Jour 3 — Mises en situation filmées", "Présentiel", 1),
        ],
        "gap_weeks": 6,
        "prework": "Pré-work — Auto-diagnostic en ligne",
        "trainers": ["Marc Lemoine", "Céline Barbier"],
        "population": "Commerciaux",
        "cold_survey_days": 90,
    },
    {
        "reference": "COM-ORAL",
        "name": "Prise de parole en public",
        "certification": None,
        "session_type": "inter",
        "organisation": "Institut Rhône-Alpes de Management",
        "capacities": (5, 8, 10),
        "dispositif": "CPF",
        "funding_eligible": True,
        "comments": "Exercices filmés : prévoir une autorisation de captation.",
        "evaluation": SATISFACTION,
        "duration_hours": Decimal("14.00"),
        "default_costs": {"Animation": Decimal("780.00")},
        "sequences": [("Oser, structurer et convaincre", "Présentiel", 2)],
        "gap_weeks": 0,
        "prework": None,
        "trainers": ["Isabelle Roux"],
        "population": None,
        "cold_survey_days": None,
    },
    {
        "reference": "NUM-CYBER",
        "name": "Cybersécurité : les bons réflexes",
        "certification": None,
        "session_type": "intra",
        "organisation": "Académie interne",
        "capacities": (8, 12, 16),
        "dispositif": "Plan de développement des compétences",
        "funding_eligible": False,
        "comments": "Atelier de sensibilisation animé par la DSI.",
        "evaluation": KNOWLEDGE,
        "duration_hours": Decimal("3.50"),
        "default_costs": {"Supports pédagogiques": Decimal("6.50")},
        "sequences": [("Atelier — Hameçonnage, mots de passe et postes de travail", "Mixte", 0.5)],
        "gap_weeks": 0,
        "prework": "Pré-work — Module e-learning « Les menaces courantes »",
        "trainers": ["Olivier Marchand", "Nicolas Aubert"],
        "population": None,
        "cold_survey_days": None,
        "calendar_invitations": False,
    },
]


class SessionPlan(NamedTuple):
    """One demo session. `weeks` counts from today; upcoming weeks are stretched so the plan reaches
    the autumn of next year. `enrolled` is a share of the maximum capacity, so no session is ever
    over-booked; `waitlisted` only applies to a full session."""

    reference: str
    weeks: int
    publication: str
    status: str
    enrolled: float = 0
    waitlisted: int = 0
    pending: int = 0
    costs: bool = True
    evaluation: bool = True
    origin: str = "created"
    populations: tuple[str, ...] = ()  # instead of the formation's usual population


SESSIONS = [
    SessionPlan("MGT-01", -12, "published", "closed", enrolled=0.9),
    SessionPlan("SEC-SST", -8, "published", "closed", enrolled=0.8),
    SessionPlan("BUR-XL2", -5, "published", "closed", enrolled=0.7),
    SessionPlan("COM-NEGO", -3, "published", "in_progress", enrolled=0.85),
    SessionPlan("SEC-ELEC", 2, "published", "confirmed", enrolled=1.0, waitlisted=2),
    SessionPlan("BUR-XL2", 3, "published", "confirmed", enrolled=0.6, pending=1),
    SessionPlan("NUM-CYBER", 4, "published", "confirmed", enrolled=0.75, costs=False),
    SessionPlan("COM-ORAL", 5, "published", "created", enrolled=0.3, pending=2, evaluation=False),
    SessionPlan("MGT-01", 6, "published", "confirmed", enrolled=0.65, pending=1),
    SessionPlan("SEC-SST", 7, "published", "cancelled", costs=False),
    SessionPlan("SEC-SST", 9, "draft", "created", costs=False, evaluation=False, origin="duplicated"),
    SessionPlan("COM-NEGO", 11, "published", "created", enrolled=0.4, pending=2),
    SessionPlan("SEC-ELEC", 13, "draft", "created"),
    SessionPlan("BUR-XL2", 15, "draft", "created", costs=False, origin="imported"),
    SessionPlan("NUM-CYBER", 17, "published", "created", enrolled=0.3, populations=("Cadres", "Commerciaux")),
    SessionPlan("COM-ORAL", 20, "draft", "created", evaluation=False),
    SessionPlan("MGT-01", 23, "draft", "created"),
    SessionPlan("SEC-ELEC", 26, "published", "created", enrolled=0.2, pending=1),
    SessionPlan("SEC-SST", 29, "published", "created"),
    SessionPlan("BUR-XL2", 32, "draft", "created", costs=False, origin="imported"),
    SessionPlan("COM-NEGO", 35, "draft", "created"),
    SessionPlan("MGT-01", 38, "draft", "created"),
    SessionPlan("NUM-CYBER", 42, "draft", "created", costs=False, evaluation=False),
    SessionPlan("COM-ORAL", 46, "draft", "created"),
]

CONVOCATION_COMMENT = (
    "Merci de vous présenter à l'accueil 15 minutes avant le début de la formation, "
    "muni d'une pièce d'identité."
)
ORGANISATION_COMMENT = "Facturation à l'issue de la session, sur la base des feuilles d'émargement signées."
LOCATION_COMMENT = "Accueil café à partir de 8 h 45. Déjeuner servi sur place."
TRAINER_COMMENT = "Vidéoprojecteur et paperboard disponibles dans la salle."
CANCEL_REASON = "Nombre d'inscrits insuffisant : les demandes sont reportées sur la session suivante."
# (month, day) of the French public holidays at a fixed date; Easter Monday, Ascension and Whit
# Monday are computed.
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}

TRAVEL_COMMENT = "Déplacement du formateur, sur justificatifs."
ELEARNING_URL = "https://elearning.demo.trainadmin.fr/modules/"
