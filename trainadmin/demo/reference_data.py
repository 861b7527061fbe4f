"""The demo's fictional French reference data: users, organismes, suppliers, places, trainers,
types and evaluations, and the import partner.

Every e-mail address is under demo.trainadmin.fr and every phone number is in the ranges ARCEP
reserves for fiction, so a demo wired to a real SMTP server can reach nobody.
"""

from __future__ import annotations

DOMAIN = "demo.trainadmin.fr"
STAFF_DOMAIN = f"entreprise.{DOMAIN}"
TRAINER_DOMAIN = f"formateurs.{DOMAIN}"

USERS = [
    ("ops@demo.trainadmin.fr", "ops_manager", "Julien Moreau"),
    ("gestion@demo.trainadmin.fr", "manager", "Sophie Lefèvre"),
    ("lecture@demo.trainadmin.fr", "viewer", "Thomas Garnier"),
]
ADMIN_FULL_NAME = "Claire Dubois"

#: « Paramètres › Organisation »: the sender of the convocations and sign-in sheets.
ORGANISATION = {
    "name": "Rhône Énergies Services",
    "address": "Direction des ressources humaines — Service formation\n45 quai Perrache\n69002 Lyon",
    "city": "Lyon",
    "training_email": f"formation@{STAFF_DOMAIN}",
    "training_phone": "04 65 71 20 00",
    "signatory_name": ADMIN_FULL_NAME,
    "signatory_title": "Responsable formation",
}

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
    "folder": "campus-partenaires",  # its sub-folder of the import folder, where the example is copied
    "schedule": "0 6 * * 1-5",
}
