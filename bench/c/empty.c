/* The floor for startup and memory: a C program that does nothing. */
int main(void) {
  return 0;
}
