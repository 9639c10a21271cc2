from django.core.management.base import BaseCommand

from blog import data


class Command(BaseCommand):
    help = ("Empty the blog tables and load the example's data "
            "(5 countries, 10 authors, 30 posts, 12 tags, comments).")

    def handle(self, *args, **options):
        data.load()
        self.stdout.write(self.style.SUCCESS(
            f"loaded {data.N_POSTS} posts by {data.N_AUTHORS} authors"))
