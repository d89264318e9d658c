/* Hello world against static glibc (i686), to check that an unmodified
 * glibc program runs: gcc -m32 -static -O2 -o hello-glibc hello.c */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    printf("hello from glibc\n");
    printf("argc = %d\n", argc);
    return 0;
}
