"""The stores behind retrieval, read and write side: the Chroma collection with its record
manager (`store`), the BM25 index (`keyword`), sentence vectors (`sentences`) and the
keyword tokens they share (`tokens`)."""
