"""One context builder per document kind (the module is named after the kind); shared helpers in
:mod:`documents.builders.common`. :mod:`documents.catalogue` says which builder makes which kind."""
