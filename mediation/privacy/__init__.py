"""Personal information lifecycle (PIPL): retention policies, legal holds, the purge that applies them, the export
of everything stored about one person, all audited. The command line is ``mediation privacy …``."""
