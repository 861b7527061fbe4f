"""The reference data bench/seed_activity.py creates around the sessions: people, populations,
questionnaires, cost types, suppliers, funders, dispositifs and training organisations."""

from __future__ import annotations

FIRST_NAMES = [
    "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Julie", "Laura", "Marie",
    "Pauline", "Claire", "Anaïs", "Océane", "Mélanie", "Nathalie", "Sandrine", "Isabelle", "Céline",
    "Aurélie", "Thomas", "Lucas", "Hugo", "Nicolas", "Julien", "Maxime", "Alexandre", "Antoine",
    "Kevin", "Romain", "Sébastien", "Olivier", "Frédéric", "Stéphane", "Laurent", "Mathieu",
    "Guillaume", "Benoît", "Karim", "Mehdi",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin",
    "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier",
    "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Gérard", "Nguyen",
    "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Benali",
]  # fmt: skip
# (department, the populations its people belong to, the second one for some of them)
DEPARTMENTS = [
    ("Direction commerciale", "Commerciaux", "Réseau d'agences"),
    ("Relation client", "Conseillers clientèle", "Réseau d'agences"),
    ("Ressources humaines", "Fonctions support", "Siège"),
    ("Finance et contrôle de gestion", "Fonctions support", "Siège"),
    ("Systèmes d'information", "Experts techniques", "Siège"),
    ("Maintenance", "Techniciens", "Sites de production"),
    ("Production", "Opérateurs", "Sites de production"),
    ("Logistique", "Opérateurs", "Sites de production"),
    ("Qualité, sécurité, environnement", "Techniciens", "Sites de production"),
    ("Marketing et communication", "Fonctions support", "Siège"),
]
# Everyone is also a « Cadre » or not; the managers are in « Managers ».
POPULATIONS = sorted(
    {p for _d, first, second in DEPARTMENTS for p in (first, second)}
    | {"Cadres", "Non-cadres", "Managers", "Nouveaux arrivants"}
)

SESSION_EVALUATIONS = [
    (
        "Évaluation de fin de formation",
        [
            "Les objectifs de la formation ont été atteints",
            "Le contenu correspondait à mes besoins",
            "Le formateur maîtrisait son sujet",
            "L'animation favorisait la participation",
            "L'organisation matérielle était satisfaisante",
            "Je recommanderais cette formation",
        ],
    ),
    (
        "Évaluation des formations managériales",
        [
            "Les situations travaillées sont proches de mon quotidien",
            "Les outils proposés sont applicables dans mon équipe",
            "Le rythme de la formation était adapté",
            "Les échanges entre participants ont été utiles",
            "Je recommanderais cette formation",
        ],
    ),
]
COLD_EVALUATION = (
    "Enquête à froid — mise en pratique",
    [
        "J'ai mis en pratique ce que j'ai appris",
        "La formation a amélioré mon efficacité",
        "Mon manager m'a accompagné après la formation",
        "Je recommanderais cette formation",
    ],
)
COMMENTS = [
    "Très bonne formation, formateur à l'écoute.",
    "Un peu trop dense pour la durée.",
    "Exemples concrets appréciés.",
    "La salle était trop petite.",
    "J'aurais aimé plus d'exercices pratiques.",
    "Bonne dynamique de groupe.",
    "Supports à envoyer avant la formation.",
    "Rien à signaler.",
]

COST_TYPES = [
    "Pédagogie",
    "Location de salle",
    "Restauration",
    "Déplacements",
    "Supports pédagogiques",
    "Frais de certification",
]
SUPPLIERS = [
    "Cegos",
    "Demos",
    "CSP Formation",
    "Orsys",
    "Comundi",
    "Lefebvre Dalloz Compétences",
    "Afpa",
    "Croix-Rouge Compétence",
    "Apave",
    "Bureau Veritas Formation",
    "M2i Formation",
    "Berlitz",
    "Wall Street English",
    "Traiteur Saveurs & Co",
    "Restaurant Le Comptoir",
    "Hôtel Mercure Part-Dieu",
    "Regus Salles de réunion",
    "Imprimerie du Rhône",
    "SNCF Voyages Affaires",
    "Agence Voyages Pro",
]
# The suppliers who teach (« Pédagogie »), and those of the other cost types, by index in SUPPLIERS.
TEACHING_SUPPLIERS = list(range(13))
OTHER_SUPPLIERS = {
    "Location de salle": [15, 16],
    "Restauration": [13, 14, 15],
    "Déplacements": [18, 19],
    "Supports pédagogiques": [17],
    "Frais de certification": [8, 9, 2],
}
ORGANISATIONS = [
    ("Cegos", "12345678900011"),
    ("Demos", "23456789000122"),
    ("CSP Formation", "34567890100133"),
    ("Orsys", "45678901200144"),
    ("Afpa", "56789012300155"),
    ("Apave", "67890123400166"),
    ("Berlitz", "78901234500177"),
    ("Académie interne", None),
]
DISPOSITIFS = [
    "Plan de développement des compétences",
    "Compte personnel de formation (CPF)",
    "Pro-A (reconversion ou promotion par alternance)",
    "FNE-Formation",
    "Formation obligatoire (sécurité)",
    "Projet de transition professionnelle",
]
FUNDERS = [
    "OPCO Atlas",
    "OPCO EP",
    "Akto",
    "Région Auvergne-Rhône-Alpes",
    "France Travail",
    "Caisse des Dépôts (CPF)",
]
CANCEL_REASONS = (["collaborator", "manager", "workload", "illness", "other"], [30, 10, 35, 20, 5])
