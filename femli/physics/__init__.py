"""Small physics pieces that read like the equations; models compose them."""
