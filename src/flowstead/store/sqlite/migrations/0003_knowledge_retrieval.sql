-- Retrieval settings of a knowledge base, as a JSON object: `mode` (hybrid, text, vector)
-- and `vector_weight` (the vectors' share of a hybrid search; absent or null: by model).
-- '{}' is every setting at its default.

ALTER TABLE knowledge_bases ADD COLUMN retrieval TEXT NOT NULL DEFAULT '{}';
