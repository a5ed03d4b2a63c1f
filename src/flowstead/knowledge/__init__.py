"""Knowledge bases: chunking, embedding, ingestion of documents, and hybrid retrieval."""
