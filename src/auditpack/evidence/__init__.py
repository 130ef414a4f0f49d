"""The typed evidence records: what collectors produce and checks read, free of any SDK.

One module per provider (:mod:`.aws`, :mod:`.hetzner`, :mod:`.ssh`, :mod:`.tls`) plus
:mod:`.provider` for the record every provider collector emits. These modules import
nothing but pydantic and :mod:`auditpack.model`, so a check (or a report, or a plugin's
check) can import them without loading boto3, hcloud, paramiko or the network stack.

Each record class owns its on-disk kind string (``S3Bucket.kind == "aws.s3_bucket"``);
code refers to the class, never to the string. Importing a module registers its kinds
for :meth:`auditpack.model.Evidence.from_json`.
"""
