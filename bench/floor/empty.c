/* The floor of exec itself: a C program that does nothing (bench/cli.sh). */
int main(void) { return 0; }
