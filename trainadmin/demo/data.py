"""Content of the demo database: fictional French reference data and the plan of its sessions.

Every e-mail address is under demo.trainadmin.fr and every phone number is in the ranges ARCEP
reserves for fiction, so a demo wired to a real SMTP server can reach nobody.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

DOMAIN = "demo.trainadmin.fr"
STAFF_DOMAIN = f"entreprise.{DOMAIN}"
TRAINER_DOMAIN = f"formateurs.{DOMAIN}"

USERS = [
    ("ops@demo.trainadmin.fr", "ops_manager", "Julien Moreau"),
    ("gestion@demo.trainadmin.fr", "manager", "Sophie Lefèvre"),
    ("lecture@demo.trainadmin.fr", "viewer", "Thomas Garnier"),
]
ADMIN_FULL_NAME = "Claire Dubois"

CERTIFICATIONS = [
    ("Certificat Manager de proximité", "RS-MGT", "Compétences de base du management d'équipe."),
    ("TOSA Excel", "TOSA-XL", "Certification des compétences bureautiques sur Excel, score sur 1000."),
    ("Habilitation électrique B1V-BR-BC", "HAB-B1V", "Titre d'habilitation délivré par l'employeur."),
    ("Sauveteur Secouriste du Travail (SST)", "SST", "Certificat valable 24 mois, puis maintien des acquis."),
    ("Certificat Négociation commerciale", "RS-NEGO", "Évaluation en situation de négociation."),
]

ORGANISATIONS = [
    {
        "name": "Institut Rhône-Alpes de Management",
        "email": f"contact@iram.{DOMAIN}",
        "phone": "04 65 71 20 10",
        "address": "24 rue de la République\n69002 Lyon",
        "siret": "48217365900129",
    },
    {
        "name": "Forma'Tech Industrie",
        "email": f"inscriptions@formatech.{DOMAIN}",
        "phone": "02 61 91 44 70",
        "address": "9 boulevard de la Prairie-au-Duc\n44200 Nantes",
        "siret": "51390278460012",
    },
    {
        "name": "Numérique & Compétences",
        "email": f"formation@numcomp.{DOMAIN}",
        "phone": "01 99 00 31 52",
        "address": "41 rue du Faubourg-Saint-Antoine\n75011 Paris",
        "siret": "79024135680029",
    },
    {
        "name": "Académie interne",
        "email": f"academie@{STAFF_DOMAIN}",
        "phone": "01 99 00 12 00",
        "address": "18 place des Reflets\n92400 Courbevoie",
        "siret": None,
    },
]

SUPPLIERS = [
    ("Espaces Séminaires Confluence", f"reservation@esc.{DOMAIN}", "04 65 71 88 02", "38472619050013"),
    ("Traiteur Les Saveurs du Marché", f"commandes@saveurs.{DOMAIN}", "05 36 49 12 75", "62109538470034"),
    ("Reprographie Express", f"devis@repro-express.{DOMAIN}", "02 61 91 07 33", "83560147290012"),
    ("Voyages Affaires Conseil", f"agence@vac.{DOMAIN}", "01 99 00 64 18", "44738291060021"),
]

# The supplier proposed for each cost type (Animation is billed by the organisme itself).
SUPPLIER_BY_COST_TYPE = {
    "Location de salle": "Espaces Séminaires Confluence",
    "Restauration": "Traiteur Les Saveurs du Marché",
    "Supports pédagogiques": "Reprographie Express",
    "Déplacement": "Voyages Affaires Conseil",
}

LOCATIONS = [
    {
        "name": "Campus Lyon Part-Dieu",
        "address": "112 boulevard Marius Vivier-Merle",
        "postcode": "69003",
        "city": "Lyon",
        "contact_name": "Nathalie Perrin",
        "contact_email": f"nathalie.perrin@{STAFF_DOMAIN}",
        "contact_phone": "04 65 71 30 45",
        "rooms": [("Salle Rhône", 16), ("Salle Saône", 12), ("Salle Fourvière", 24)],
    },
    {
        "name": "Siège La Défense",
        "address": "18 place des Reflets",
        "postcode": "92400",
        "city": "Courbevoie",
        "contact_name": "Karim Benali",
        "contact_email": f"karim.benali@{STAFF_DOMAIN}",
        "contact_phone": "01 99 00 27 81",
        "rooms": [("Salle Arche", 20), ("Salle Seine", 12)],
    },
    {
        "name": "Centre de formation de Nantes",
        "address": "5 quai François Mitterrand",
        "postcode": "44200",
        "city": "Nantes",
        "contact_name": "Hélène Guérin",
        "contact_email": f"helene.guerin@{STAFF_DOMAIN}",
        "contact_phone": "02 61 91 52 16",
        "rooms": [("Salle Loire", 14), ("Salle Erdre", 10), ("Atelier technique", 12)],
    },
    {
        "name": "Site industriel de Toulouse",
        "address": "27 chemin de la Crabe",
        "postcode": "31300",
        "city": "Toulouse",
        "contact_name": "Patrick Fabre",
        "contact_email": f"patrick.fabre@{STAFF_DOMAIN}",
        "contact_phone": "05 36 49 60 22",
        "rooms": [("Salle Garonne", 16), ("Plateau technique", 10)],
    },
]

# first name, last name, phone, organisme (None: freelance), internal
TRAINERS = [
    ("Isabelle", "Roux", "06 39 98 10 21", "Institut Rhône-Alpes de Management", False),
    ("Marc", "Lemoine", "06 39 98 10 34", "Institut Rhône-Alpes de Management", False),
    ("Stéphane", "Girard", "06 39 98 11 57", "Forma'Tech Industrie", False),
    ("Valérie", "Chevalier", "06 39 98 12 08", "Forma'Tech Industrie", False),
    ("Nicolas", "Aubert", "06 39 98 13 66", "Numérique & Compétences", False),
    ("Émilie", "Vasseur", "06 39 98 14 90", "Numérique & Compétences", False),
    ("Olivier", "Marchand", "06 39 98 15 12", "Académie interne", True),
    ("Céline", "Barbier", "06 39 98 16 45", None, False),
]

POPULATIONS = [
    ("Cadres", "Collaborateurs au statut cadre, dont les managers."),
    ("Techniciens", "Techniciens de production, de maintenance et de la qualité."),
    ("Commerciaux", "Équipes commerciales terrain et grands comptes."),
]

# How many of the 50 collaborators belong first to each population, in the order above.
POPULATION_SIZES = (14, 20, 16)
DEPARTMENTS = {
    "Cadres": [
        "Direction financière",
        "Ressources humaines",
        "Direction des opérations",
        "Marketing",
        "Systèmes d'information",
    ],
    "Techniciens": ["Maintenance", "Production", "Qualité", "Logistique"],
    "Commerciaux": ["Ventes Île-de-France", "Ventes Grand Ouest", "Grands comptes"],
}

FIRST_NAMES = [
    "Camille",
    "Antoine",
    "Manon",
    "Lucas",
    "Chloé",
    "Hugo",
    "Léa",
    "Maxime",
    "Sarah",
    "Alexandre",
    "Julie",
    "Romain",
    "Laura",
    "Kevin",
    "Pauline",
    "Florian",
    "Marine",
    "Guillaume",
    "Audrey",
    "Mathieu",
    "Élodie",
    "Sébastien",
    "Aurélie",
    "Jérôme",
    "Mélanie",
    "Benoît",
    "Caroline",
    "Damien",
    "Sandrine",
    "François",
    "Virginie",
    "Yannick",
    "Agnès",
    "Thibault",
    "Inès",
    "Quentin",
    "Nadia",
    "Cédric",
    "Amandine",
    "Loïc",
    "Sophie",
    "Bastien",
    "Margaux",
    "Arnaud",
    "Océane",
    "Fabien",
    "Justine",
    "Mehdi",
    "Gaëlle",
    "Vincent",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Simon",
    "Laurent",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Robin",
    "Masson",
    "Sanchez",
    "Noël",
    "Lefebvre",
    "Meyer",
    "Dufour",
    "Brun",
    "Blanchard",
    "Gaillard",
]

COST_TYPES = ["Animation", "Location de salle", "Déplacement", "Restauration", "Supports pédagogiques"]
PER_TRAINEE_COST_TYPES = {"Restauration", "Supports pédagogiques"}
DOCUMENT_TYPES = ["Facture", "Devis", "Convention", "Feuille d'émargement", "Attestation"]
DISPOSITIFS = ["Plan de développement des compétences", "CPF", "Pro-A"]
TEACHING_MODES = ["Présentiel", "Classe virtuelle", "E-learning", "Mixte"]

SATISFACTION = "Questionnaire de satisfaction à chaud"
COLD_REVIEW = "Évaluation à froid — mise en pratique"
KNOWLEDGE = "Évaluation des acquis"
EVALUATIONS = [
    (
        SATISFACTION,
        "Envoyé aux participants à l'issue de la formation.",
        [
            "Les objectifs de la formation ont-ils été atteints ?",
            "Le contenu était-il adapté à vos besoins ?",
            "Comment évaluez-vous la pédagogie du formateur ?",
            "Les conditions matérielles (salle, supports) étaient-elles satisfaisantes ?",
            "Recommanderiez-vous cette formation à un collègue ?",
        ],
    ),
    (
        COLD_REVIEW,
        "Envoyé deux à trois mois après la formation pour mesurer le transfert des acquis.",
        [
            "Avez-vous pu mettre en pratique les acquis de la formation ?",
            "Quels changements observez-vous dans votre activité ?",
            "Votre manager a-t-il accompagné la mise en pratique ?",
            "Quels besoins complémentaires identifiez-vous ?",
        ],
    ),
    (
        KNOWLEDGE,
        "Auto-évaluation des acquis en fin de formation.",
        [
            "Je suis capable d'expliquer les notions clés abordées.",
            "Je sais appliquer les méthodes vues en formation.",
            "Je me sens autonome sur le sujet.",
        ],
    ),
]

PARTNER = {
    "name": "Campus Partenaires",
    "organisation": "Numérique & Compétences",
    "contact_email": f"imports@campus-partenaires.{DOMAIN}",
    # Its feed: the example file shipped with the import guide, fetched on weekday mornings.
    "feed": "docs/examples/partner-sessions.csv",
    "schedule": "0 6 * * 1-5",
}

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
